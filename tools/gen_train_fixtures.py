#!/usr/bin/python3
"""Training-parity fixtures: train-mode forward, loss, gradients, BN running statistics and
optimiser steps on torchvision's resnet18, with 1 and 3 input channels.

Run with Debian's interpreter:  /usr/bin/python3 tools/gen_train_fixtures.py
Writes src/test/resources/parity/train_*.txt. Weights, inputs and labels come from
tools/fixture_weights.py. Full tensors are too large to commit, so for every state-dict entry
the fixture keeps 16 sampled elements (indices stored), plus the tensor's max |value| as the
scale for relative tolerances.
"""
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
from fixture_weights import uniform, uniform01  # noqa: E402
from gen_model_fixtures import build, fmt, write  # noqa: E402

SAMPLES = 16


def sample_indices(key, n):
    return sorted(set(int(u * n) for u in uniform01("sample:" + key, SAMPLES)))


def labels(name, n, classes):
    return [int(u * classes) for u in uniform01(name, n)]


def record(lines, stage, model, grads):
    for key, t in model.state_dict().items():
        flat = t.detach().flatten().double().numpy()
        idx = sample_indices(key, flat.size)
        lines.append("%s %s %s %s" % (stage, key, " ".join(str(i) for i in idx),
                                      " ".join("%.9g" % flat[i] for i in idx)))
        lines.append("%s_scale %s %.9g" % (stage, key, float(np.abs(flat).max())))
    if grads:
        for key, p in model.named_parameters():
            flat = p.grad.detach().flatten().double().numpy()
            idx = sample_indices(key, flat.size)
            lines.append("grad %s %s %s" % (key, " ".join(str(i) for i in idx),
                                            " ".join("%.9g" % flat[i] for i in idx)))
            lines.append("grad_scale %s %.9g" % (key, float(np.abs(flat).max())))


def case(name, grayscale, shape, opt_name):
    from fixture_weights import fill_state_dict
    classes = 10
    model = build("resnet18", classes, grayscale)
    fill_state_dict(model)
    model.train()
    if opt_name == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True, weight_decay=5e-4)
        settings = "sgd lr 0.05 momentum 0.9 nesterov 1 weight_decay 5e-4"
    else:
        opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-4)
        settings = "adam lr 1e-3 beta1 0.9 beta2 0.999 eps 1e-8 weight_decay 1e-4"
    loss_fn = torch.nn.CrossEntropyLoss()
    lines = ["arch resnet18", "num_classes %d" % classes, "grayscale %d" % int(grayscale),
             "input_shape " + " ".join(str(s) for s in shape), "optimizer " + settings]
    for step in (1, 2):
        x = torch.from_numpy(uniform("batch%d" % step, shape, -2.0, 2.0))
        y = labels("labels%d" % step, shape[0], classes)
        lines.append("labels%d %s" % (step, " ".join(str(v) for v in y)))
        opt.zero_grad()
        logits = model(x)
        loss = loss_fn(logits, torch.tensor(y))
        loss.backward()
        lines.append("logits%d %s" % (step, fmt(logits.detach().flatten().tolist())))
        lines.append("loss%d %.9g" % (step, loss.item()))
        if step == 1:
            record(lines, "after_forward1", model, grads=True)
        opt.step()
        record(lines, "after_step%d" % step, model, grads=False)
    write("train_%s.txt" % name, lines)


def main():
    torch.set_num_threads(2)
    case("gray_sgd", True, (8, 1, 28, 28), "sgd")
    case("gray_adam", True, (8, 1, 28, 28), "adam")
    case("rgb_sgd", False, (4, 3, 32, 32), "sgd")
    case("rgb_adam", False, (4, 3, 32, 32), "adam")


if __name__ == "__main__":
    main()
