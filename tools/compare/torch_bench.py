#!/usr/bin/python3
"""PyTorch side of tools/compare: the workloads of `resnet bench`, as JSON lines.

Run with Debian's interpreter (torch + torchvision):
    /usr/bin/python3 tools/compare/torch_bench.py --num-classes 1000 --input 3x224x224 --batch 1,16 --mode eager
    /usr/bin/python3 tools/compare/torch_bench.py --num-classes 1000 --input 3x224x224 --batch 1,16 --mode jit
    /usr/bin/python3 tools/compare/torch_bench.py --num-classes 10 --input 1x28x28 --batch 128 --train --optimizer adam
    /usr/bin/python3 tools/compare/torch_bench.py --num-classes 1000 --input 3x224x224 --export-onnx /tmp/r18.onnx

Timing follows BenchCommand: warm-up iterations (at least one second of them), then timed
iterations, each a whole inference (eval mode, inference_mode) or training step (zero_grad,
forward, cross-entropy on random labels, backward, optimiser step: SGD lr 0.01 momentum 0.9,
or Adam lr 1e-3); median and min. The model is torchvision's, randomly initialised with seed 0
(a one-channel stem for 1xHxW input). --export-onnx writes that model (eval mode, dynamic
batch) with torch.onnx.export for the ONNX Runtime side.
"""
import argparse
import json
import statistics
import sys
import time

import torch
import torchvision


def build(arch, num_classes, channels):
    torch.manual_seed(0)
    model = getattr(torchvision.models, arch)(num_classes=num_classes)
    if channels == 1:
        model.conv1 = torch.nn.Conv2d(1, 64, kernel_size=7, stride=2, padding=3, bias=False)
    return model


def time_steps(step, warmup, iterations, warmup_seconds=1.0):
    start = time.perf_counter()
    i = 0
    while i < warmup or time.perf_counter() - start < warmup_seconds:
        step()
        i += 1
    ms = []
    for _ in range(iterations):
        t0 = time.perf_counter()
        step()
        ms.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(ms), min(ms)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--arch", default="resnet18")
    ap.add_argument("--num-classes", type=int, default=1000)
    ap.add_argument("--input", default="3x224x224")
    ap.add_argument("--batch", default="1,16")
    ap.add_argument("--train", action="store_true")
    ap.add_argument("--optimizer", default="sgd", choices=["sgd", "adam"])
    ap.add_argument("--mode", default="eager", choices=["eager", "jit"],
                    help="jit: torch.jit.trace + freeze + optimize_for_inference (inference only)")
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--warmup-seconds", type=float, default=1.0, help="minimum warm-up time per workload")
    ap.add_argument("--iterations", type=int, default=10)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--export-onnx", metavar="PATH", help="write the model as ONNX (dynamic batch) and exit")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    c, h, w = (int(v) for v in args.input.lower().split("x"))
    model = build(args.arch, args.num_classes, c)

    if args.export_onnx:
        model.eval()
        torch.onnx.export(model, torch.zeros(1, c, h, w), args.export_onnx, input_names=["input"],
                          output_names=["logits"], dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
                          opset_version=13, do_constant_folding=True)
        print("wrote %s (%s, %d classes, input %s)" % (args.export_onnx, args.arch, args.num_classes, args.input),
              file=sys.stderr)
        return
    if args.train and args.mode != "eager":
        ap.error("--mode jit is for inference only")

    for batch in (int(b) for b in args.batch.split(",")):
        g = torch.Generator().manual_seed(batch)
        x = torch.randn(batch, c, h, w, generator=g)
        labels = torch.randint(0, args.num_classes, (batch,), generator=g)
        if args.train:
            model.train()
            if args.optimizer == "adam":
                opt = torch.optim.Adam(model.parameters(), lr=1e-3)
            else:
                opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
            loss_fn = torch.nn.CrossEntropyLoss()

            def step():
                opt.zero_grad()
                loss = loss_fn(model(x), labels)
                loss.backward()
                opt.step()
        else:
            model.eval()
            if args.mode == "jit":
                with torch.no_grad():
                    run = torch.jit.optimize_for_inference(torch.jit.freeze(torch.jit.trace(model, x)))
            else:
                run = model

            def step():
                with torch.inference_mode():
                    run(x)
        median, best = time_steps(step, args.warmup, args.iterations, args.warmup_seconds)
        print(json.dumps({
            "impl": "pytorch-" + args.mode, "arch": args.arch, "num_classes": args.num_classes, "input": args.input,
            "batch": batch, "train": args.train, "optimizer": args.optimizer if args.train else None,
            "threads": torch.get_num_threads(), "iterations": args.iterations, "median_ms": round(median, 4),
            "min_ms": round(best, 4), "images_per_second": round(batch / (median / 1e3), 3),
            "torch": torch.__version__,
        }), flush=True)


if __name__ == "__main__":
    main()
