#!/usr/bin/python3
"""Output sizes of nn.MaxPool2d and nn.Conv2d as PyTorch computes them, or where it refuses.

Run with Debian's interpreter:  /usr/bin/python3 tools/gen_shape_fixtures.py
Writes src/test/resources/parity/output_sizes.txt: one line per case,
"maxpool|conv size kernel stride padding out", out being PyTorch's output size on a
[1, 1, size, size] input, or "error" where PyTorch raises (output size too small, kernel larger
than the padded input). Every kernel, stride and padding MaxPool2d accepts (padding at most
half the kernel) over small inputs: the cases where the output size rounds toward -inf.
"""
import os

import torch

OUT = os.path.join(os.path.dirname(__file__), "..", "src", "test", "resources", "parity", "output_sizes.txt")


def out_size(module, size):
    try:
        with torch.no_grad():
            y = module(torch.zeros(1, 1, size, size))
        return str(y.shape[2])
    except RuntimeError:
        return "error"


def main():
    lines = []
    for kernel in range(1, 8):
        for stride in range(1, 4):
            for pad in range(0, kernel // 2 + 1):
                for size in range(1, 9):
                    pool = torch.nn.MaxPool2d(kernel, stride, pad)
                    lines.append("maxpool %d %d %d %d %s" % (size, kernel, stride, pad, out_size(pool, size)))
                    conv = torch.nn.Conv2d(1, 1, kernel, stride, pad, bias=False)
                    lines.append("conv %d %d %d %d %s" % (size, kernel, stride, pad, out_size(conv, size)))
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("wrote %d cases to %s" % (len(lines), OUT))


if __name__ == "__main__":
    main()
