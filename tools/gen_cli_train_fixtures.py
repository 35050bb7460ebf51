#!/usr/bin/python3
"""Parity fixtures for `resnet train` itself (not just the optimiser classes): one epoch over an
.npy set with --no-shuffle --no-augment, so batches are taken in file order and the last one is
smaller — exactly N/B rounded up optimiser steps, as the issue specifies. The Java test
(CliTrainParityTest) writes the same X.npy / y.npy and initial weights (tools/fixture_weights.py's
generator, its Java twin FixtureWeights), runs the CLI with the `args` line of each fixture and
compares the saved state dict — weights, BN running statistics, num_batches_tracked — with
PyTorch's after the same steps.

Cases cover the CLI's defaults where the command names an optimizer: options it leaves out
take PyTorch's defaults for that optimizer (SGD: momentum 0, no Nesterov, weight decay 0;
Adam: weight decay 0; AdamW: weight decay 0.01).

Run with Debian's interpreter:  /usr/bin/python3 tools/gen_cli_train_fixtures.py
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))
from fixture_weights import fill_state_dict, uniform  # noqa: E402
from gen_model_fixtures import build, write  # noqa: E402
from gen_train_fixtures import labels, record  # noqa: E402

# batches of 4, 4 and 2; 64x64 keeps layer4's map at 2x2, so train-mode BN of the last batch
# normalises 8 values per channel, not 2 (with 2, PyTorch's own result swings by percents under
# 1e-7 weight noise)
N, SHAPE, BATCH = 10, (1, 64, 64), 4


def epoch(make_opt, perturb=0.0):
    model = build("resnet18", 10, True)
    fill_state_dict(model)
    if perturb:
        g = torch.Generator().manual_seed(5)
        with torch.no_grad():
            for p in model.parameters():
                p.mul_(1 + perturb * (torch.rand(p.shape, generator=g) - 0.5))
    model.start = {k: v.detach().clone().double() for k, v in model.state_dict().items()}
    model.train()
    x = torch.from_numpy(uniform("cli_x", (N,) + SHAPE, -2.0, 2.0))
    y = torch.tensor(labels("cli_y", N, 10))
    opt = make_opt(model)
    loss_fn = torch.nn.CrossEntropyLoss()
    for b in range(0, N, BATCH):
        opt.zero_grad()
        loss_fn(model(x[b:b + BATCH]), y[b:b + BATCH]).backward()
        opt.step()
    return model, y


def case(name, cli_args, make_opt):
    model, y = epoch(make_opt)
    # how far float32 rounding alone moves each result (as in gen_train_fixtures.conditioning)
    a = {k: v.detach().double() for k, v in model.state_dict().items()}
    other = epoch(make_opt, 1e-7)[0]
    b = {k: v.detach().double() for k, v in other.state_dict().items()}
    noise = {k: float((a[k] - b[k]).abs().max() / (a[k].abs().max() + 1e-12)) for k in a}
    # the same for the update (final - initial), relative to the largest update
    da = {k: a[k] - model.start[k] for k in a}
    db = {k: b[k] - other.start[k] for k in b}
    delta_noise = {k: float((da[k] - db[k]).abs().max() / (da[k].abs().max() + 1e-30)) for k in a}
    print(name, "worst rounding sensitivity: %.2e" % max(noise.values()))
    lines = ["n %d" % N, "shape " + " ".join(str(s) for s in SHAPE), "batch %d" % BATCH,
             "labels " + " ".join(str(int(v)) for v in y), "args " + cli_args]
    record(lines, "after_epoch", model, grads=False)
    for key in a:
        # the size of the epoch's update, the scale for comparing updates (final - initial),
        # and how far rounding alone moves the update, relative to that size
        lines.append("after_epoch_delta_scale %s %.9g" % (key, float(da[key].abs().max())))
        lines.append("after_epoch_delta_noise %s %.3g" % (key, delta_noise[key]))
    for key in a:
        lines.append("after_epoch_noise %s %.3g" % (key, noise[key]))
    write("cli_train_%s.txt" % name, lines)


def defaults():
    """PyTorch's own defaults for the optimizers, read from their signatures: what the CLI
    must use for an option left out when --optimizer is named."""
    import inspect
    lines = []
    for name, cls in (("sgd", torch.optim.SGD), ("adam", torch.optim.Adam), ("adamw", torch.optim.AdamW)):
        sig = inspect.signature(cls.__init__).parameters
        vals = []
        for opt in ("lr", "momentum", "dampening", "nesterov", "weight_decay", "betas", "eps", "amsgrad"):
            if opt in sig:
                d = sig[opt].default
                if d is inspect.Parameter.empty or type(d).__name__ == "_RequiredParameter":
                    continue
                if isinstance(d, tuple):
                    vals.append("beta1 %r beta2 %r" % (float(d[0]), float(d[1])))
                else:
                    vals.append("%s %r" % (opt, float(d)))
        lines.append("%s %s" % (name, " ".join(vals)))
    write("optimizer_defaults.txt", lines)


def main():
    torch.set_num_threads(2)
    defaults()
    case("sgd_momentum", "--optimizer sgd --lr 0.002 --momentum 0.9 --nesterov --weight-decay 5e-4",
         lambda m: torch.optim.SGD(m.parameters(), lr=0.002, momentum=0.9, nesterov=True, weight_decay=5e-4))
    case("sgd_plain", "--optimizer sgd --lr 0.001",
         lambda m: torch.optim.SGD(m.parameters(), lr=0.001))
    case("adam_defaults", "--optimizer adam --lr 0.001",
         lambda m: torch.optim.Adam(m.parameters(), lr=1e-3))
    case("adamw_defaults", "--optimizer adamw",
         lambda m: torch.optim.AdamW(m.parameters()))


if __name__ == "__main__":
    main()
