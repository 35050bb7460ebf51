#!/usr/bin/python3
"""Forward-parity and structure fixtures from Debian's PyTorch/torchvision.

Run with Debian's interpreter:  /usr/bin/python3 tools/gen_model_fixtures.py
Writes src/test/resources/parity/*.txt, a plain "key value value ..." format the Java tests read.
Weights and inputs come from tools/fixture_weights.py (formula-based), so only outputs are stored.
"""
import os
import sys

import torch
import torchvision

sys.path.insert(0, os.path.dirname(__file__))
from fixture_weights import fill_state_dict, uniform  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "src", "test", "resources", "parity")
ARCHS = ["resnet18", "resnet34", "resnet50", "resnet101", "resnet152"]


def build(arch, num_classes, grayscale):
    model = getattr(torchvision.models, arch)(num_classes=num_classes)
    if grayscale:
        # the seed's grayscale flag: a one-channel stem, everything else unchanged
        model.conv1 = torch.nn.Conv2d(1, 64, kernel_size=7, stride=2, padding=3, bias=False)
    return model


def fmt(values):
    return " ".join("%.9g" % float(v) for v in values)


def write(name, lines):
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, name), "w") as f:
        f.write("\n".join(lines) + "\n")


def forward_case(name, arch, num_classes, grayscale, shape):
    torch.manual_seed(0)
    model = build(arch, num_classes, grayscale)
    fill_state_dict(model)
    model.eval()
    x = torch.from_numpy(uniform("input", shape, -2.0, 2.0))
    with torch.no_grad():
        logits = model(x)
        probs = torch.softmax(logits, dim=1)
    write("forward_%s.txt" % name, [
        "arch " + arch,
        "num_classes %d" % num_classes,
        "grayscale %d" % int(grayscale),
        "input_shape " + " ".join(str(s) for s in shape),
        "logits_shape " + " ".join(str(s) for s in logits.shape),
        "logits " + fmt(logits.flatten().tolist()),
        "probabilities " + fmt(probs.flatten().tolist()),
    ])


def structure(arch, num_classes, grayscale, size):
    model = build(arch, num_classes, grayscale)
    shapes = []
    hooks = []
    for n in ["conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4", "avgpool", "fc"]:
        m = getattr(model, n)
        hooks.append(m.register_forward_hook(lambda mod, i, o, n=n: shapes.append((n, tuple(o.shape)))))
    model.eval()
    with torch.no_grad():
        model(torch.zeros(1, 1 if grayscale else 3, size[0], size[1]))
    lines = ["arch " + arch, "num_classes %d" % num_classes, "grayscale %d" % int(grayscale),
             "input_size %d %d" % size,
             "parameters %d" % sum(p.numel() for p in model.parameters())]
    for n, s in shapes:
        lines.append("shape %s %s" % (n, " ".join(str(d) for d in s)))
    for k, v in model.state_dict().items():
        lines.append("key %s %s" % (k, " ".join(str(d) for d in v.shape)))
    return lines


def main():
    torch.set_num_threads(2)
    forward_case("resnet18_rgb", "resnet18", 10, False, (2, 3, 64, 64))
    forward_case("resnet18_gray", "resnet18", 10, True, (3, 1, 28, 28))
    forward_case("resnet18_224", "resnet18", 1000, False, (1, 3, 224, 224))
    forward_case("resnet34_odd", "resnet34", 7, False, (2, 3, 97, 61))
    forward_case("resnet50", "resnet50", 100, False, (1, 3, 64, 80))
    forward_case("resnet101_gray", "resnet101", 5, True, (1, 1, 33, 45))
    for arch in ARCHS:
        write("structure_%s_rgb1000.txt" % arch, structure(arch, 1000, False, (224, 224)))
        write("structure_%s_gray10.txt" % arch, structure(arch, 10, True, (97, 61)))


if __name__ == "__main__":
    main()
