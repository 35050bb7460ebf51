#!/usr/bin/python3
"""PyTorch twin of `resnet train` on Fashion-MNIST, for comparing training *dynamics* (test
accuracy per epoch), not bits: same model (torchvision resnet18 with a 1-channel 7x7/2 stem, as
the seed's grayscale flag makes it), same data (the IDX files Debian's dataset-fashion-mnist
installs), same augmentation (random crop with 2 px zero padding, horizontal flip), same
normalisation (0.2860 / 0.3530), same optimiser and constant learning rate.

    /usr/bin/python3 tools/train_reference.py --epochs 5 --lr 0.01 --nesterov [--threads 2]

Prints one CSV line per epoch: epoch,train_loss,train_accuracy,test_accuracy,seconds,images_per_second.
Needs Debian's python3-torch and python3-torchvision; not used by the tests.
"""
import argparse
import gzip
import struct
import time

import numpy as np
import torch
import torchvision


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    zero, dtype, rank = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype != 0x08:
        raise SystemExit(f"{path}: not an unsigned-byte IDX file")
    dims = struct.unpack(">" + "I" * rank, data[4:4 + 4 * rank])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * rank).reshape(dims)


def model():
    m = torchvision.models.resnet18(num_classes=10)
    m.conv1 = torch.nn.Conv2d(1, 64, kernel_size=7, stride=2, padding=3, bias=False)
    # the seed's init: He normal with n = k*k*out_channels (= kaiming_normal_, fan_out), BN 1/0
    for mod in m.modules():
        if isinstance(mod, torch.nn.Conv2d):
            torch.nn.init.kaiming_normal_(mod.weight, mode="fan_out", nonlinearity="relu")
        elif isinstance(mod, torch.nn.BatchNorm2d):
            torch.nn.init.ones_(mod.weight)
            torch.nn.init.zeros_(mod.bias)
    return m


def augment(x, gen, padding=2):
    """x: uint8 [N, 28, 28] -> random crop after zero padding, random horizontal flip."""
    n, h, w = x.shape
    padded = np.zeros((n, h + 2 * padding, w + 2 * padding), dtype=np.uint8)
    padded[:, padding:padding + h, padding:padding + w] = x
    out = np.empty_like(x)
    dy = gen.integers(0, 2 * padding + 1, n)
    dx = gen.integers(0, 2 * padding + 1, n)
    flip = gen.random(n) < 0.5
    for i in range(n):
        img = padded[i, dy[i]:dy[i] + h, dx[i]:dx[i] + w]
        out[i] = img[:, ::-1] if flip[i] else img
    return out


def to_tensor(x):
    t = torch.from_numpy(x.astype(np.float32) / 255.0).unsqueeze(1)
    return (t - 0.2860) / 0.3530


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dir", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--lr", type=float, default=0.01)
    ap.add_argument("--momentum", type=float, default=0.9)
    ap.add_argument("--nesterov", action="store_true")
    ap.add_argument("--weight-decay", type=float, default=5e-4)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    gen = np.random.default_rng(args.seed)
    d = args.data_dir
    xtr = read_idx(f"{d}/train-images-idx3-ubyte.gz")
    ytr = torch.from_numpy(read_idx(f"{d}/train-labels-idx1-ubyte.gz").astype(np.int64))
    xte = to_tensor(read_idx(f"{d}/t10k-images-idx3-ubyte.gz"))
    yte = torch.from_numpy(read_idx(f"{d}/t10k-labels-idx1-ubyte.gz").astype(np.int64))
    net = model()
    opt = torch.optim.SGD(net.parameters(), lr=args.lr, momentum=args.momentum, nesterov=args.nesterov,
                          weight_decay=args.weight_decay)
    loss_fn = torch.nn.CrossEntropyLoss()
    print("epoch,train_loss,train_accuracy,test_accuracy,seconds,images_per_second", flush=True)
    for epoch in range(1, args.epochs + 1):
        net.train()
        t0 = time.perf_counter()
        order = gen.permutation(len(xtr))
        loss_sum, correct = 0.0, 0
        for b in range(0, len(order), args.batch_size):
            idx = order[b:b + args.batch_size]
            x = to_tensor(augment(xtr[idx], gen))
            y = ytr[idx]
            opt.zero_grad()
            logits = net(x)
            loss = loss_fn(logits, y)
            loss.backward()
            opt.step()
            loss_sum += loss.item() * len(idx)
            correct += (logits.argmax(1) == y).sum().item()
        seconds = time.perf_counter() - t0
        net.eval()
        with torch.no_grad():
            test_correct = sum((net(xte[i:i + 500]).argmax(1) == yte[i:i + 500]).sum().item()
                               for i in range(0, len(xte), 500))
        n = len(order)
        print(f"{epoch},{loss_sum / n:.6f},{correct / n:.6f},{test_correct / len(xte):.6f},{seconds:.1f},{n / seconds:.1f}",
              flush=True)


if __name__ == "__main__":
    main()
