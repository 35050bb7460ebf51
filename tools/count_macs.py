#!/usr/bin/python3
"""Multiply-accumulates per image of torchvision's ResNets, counted with forward hooks.

Run with Debian's interpreter:  /usr/bin/python3 tools/count_macs.py
Writes src/test/resources/bench/macs.txt, one case a line:
    arch channels num_classes height width macs_per_image
counting what the Java MacCounter counts: every Conv2d (out·in·k²·OH·OW) and Linear
(out·in) on one image, forward only. BenchCommand's GFLOP/s are 2·MACs (×3 for a training step).
"""
import os

import torch
import torchvision

OUT = os.path.join(os.path.dirname(__file__), "..", "src", "test", "resources", "bench", "macs.txt")
CASES = [
    ("resnet18", 3, 1000, 224, 224),
    ("resnet18", 1, 10, 28, 28),
    ("resnet18", 3, 10, 32, 32),
    ("resnet34", 3, 1000, 224, 224),
    ("resnet50", 3, 1000, 224, 224),
    ("resnet50", 1, 10, 28, 28),
    ("resnet101", 3, 7, 97, 61),
    ("resnet152", 1, 10, 64, 64),
]


def build(arch, channels, num_classes):
    model = getattr(torchvision.models, arch)(num_classes=num_classes)
    if channels == 1:
        model.conv1 = torch.nn.Conv2d(1, 64, kernel_size=7, stride=2, padding=3, bias=False)
    return model.eval()


def count(model, channels, h, w):
    total = [0]

    def conv_hook(m, inp, out):
        k = m.kernel_size[0] * m.kernel_size[1]
        total[0] += m.out_channels * (m.in_channels // m.groups) * k * out.shape[2] * out.shape[3]

    def linear_hook(m, inp, out):
        total[0] += m.in_features * m.out_features

    for m in model.modules():
        if isinstance(m, torch.nn.Conv2d):
            m.register_forward_hook(conv_hook)
        elif isinstance(m, torch.nn.Linear):
            m.register_forward_hook(linear_hook)
    with torch.no_grad():
        model(torch.zeros(1, channels, h, w))
    return total[0]


def main():
    lines = ["# arch channels num_classes height width macs_per_image (tools/count_macs.py, torch %s)" % torch.__version__]
    for arch, c, k, h, w in CASES:
        lines.append("%s %d %d %d %d %d" % (arch, c, k, h, w, count(build(arch, c, k), c, h, w)))
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
