#!/usr/bin/python3
"""Writes the PyTorch-parity fixtures for dev.resnet4j.optim.

Run with Debian's PyTorch 1.13 (not a venv's python):

    /usr/bin/python3 tools/gen_optim_fixtures.py

Output: src/test/resources/optim/optim_fixtures.bin, a list of named arrays in a small
little-endian format read by OptimFixture.java:

    int32 count, then per array:
      int32 nameLength, name (UTF-8), int8 dtype (0 = float32, 1 = float64),
      int32 rank, int32 dims[rank], data (little-endian)

Optimiser cases run 3 steps over the same parameters and gradients. Parameter "p3" has no
gradient at step 1 (p.grad is None, so PyTorch skips it and its Adam step count lags), and
"frozen" has requires_grad=False, so it never gets a gradient. The learning rate changes
between steps to check that set_lr / param_group['lr'] is honoured.
"""
import os
import struct

import numpy as np
import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "test", "resources",
                   "optim", "optim_fixtures.bin")

SHAPES = {"conv.weight": (4, 3, 3, 3), "bn.bias": (4,), "fc.weight": (10, 7), "p3": (13,),
          "frozen": (2, 5)}
STEPS = 3
LR_FACTORS = [1.0, 0.5, 0.25]  # lr at step k is lr * LR_FACTORS[k]

arrays = []  # (name, numpy array)


def put(name, value, dtype=np.float32):
    # Copy: tensor.numpy() shares memory with a parameter the optimiser keeps updating.
    arrays.append((name, np.array(value, dtype=dtype, copy=True, order="C")))


def make_inputs():
    g = torch.Generator().manual_seed(1234)
    init = {n: torch.randn(s, generator=g) for n, s in SHAPES.items()}
    grads = []
    for k in range(STEPS):
        step_grads = {}
        for n, s in SHAPES.items():
            if n == "frozen" or (n == "p3" and k == 0):
                continue
            step_grads[n] = torch.randn(s, generator=g) * 0.5
        grads.append(step_grads)
    for n, t in init.items():
        put("init/" + n, t.numpy())
    for k, step_grads in enumerate(grads):
        for n, t in step_grads.items():
            put("grad/%d/%s" % (k, n), t.numpy())
    return init, grads


# hparams layouts (float64), mirrored in OptimizerParityTest:
#   sgd:  [lr, momentum, dampening, weight_decay, nesterov]
#   adam: [lr, beta1, beta2, eps, weight_decay, amsgrad, decoupled (1 = AdamW)]
CASES = [
    ("sgd_plain", "sgd", dict(lr=0.1)),
    ("sgd_momentum_wd", "sgd", dict(lr=0.1, momentum=0.9, weight_decay=5e-4)),
    ("sgd_momentum_dampening", "sgd", dict(lr=0.05, momentum=0.9, dampening=0.1, weight_decay=1e-4)),
    ("sgd_nesterov_wd", "sgd", dict(lr=0.1, momentum=0.9, dampening=0.0, weight_decay=5e-4, nesterov=True)),
    ("adam_default", "adam", dict(lr=1e-3)),
    ("adam_wd", "adam", dict(lr=1e-2, betas=(0.8, 0.99), eps=1e-6, weight_decay=1e-2)),
    ("adam_amsgrad", "adam", dict(lr=1e-2, weight_decay=1e-3, amsgrad=True)),
    ("adamw", "adamw", dict(lr=1e-2, weight_decay=0.01)),
    ("adamw_amsgrad", "adamw", dict(lr=3e-3, betas=(0.85, 0.995), weight_decay=0.1, amsgrad=True)),
]


def run_case(name, kind, kw, init, grads):
    params = {n: torch.nn.Parameter(t.clone()) for n, t in init.items()}
    params["frozen"].requires_grad_(False)
    plist = list(params.values())
    if kind == "sgd":
        opt = torch.optim.SGD(plist, foreach=False, **kw)
        d = opt.defaults
        put(name + "/hparams", [d["lr"], d["momentum"], d["dampening"], d["weight_decay"],
                                float(d["nesterov"])], np.float64)
    else:
        cls = torch.optim.Adam if kind == "adam" else torch.optim.AdamW
        opt = cls(plist, foreach=False, **kw)
        d = opt.defaults
        put(name + "/hparams", [d["lr"], d["betas"][0], d["betas"][1], d["eps"], d["weight_decay"],
                                float(d["amsgrad"]), float(kind == "adamw")], np.float64)
    base_lr = opt.defaults["lr"]
    put(name + "/lrs", [base_lr * f for f in LR_FACTORS], np.float64)
    for k in range(STEPS):
        for group in opt.param_groups:
            group["lr"] = base_lr * LR_FACTORS[k]
        for n, p in params.items():
            p.grad = grads[k][n].clone() if n in grads[k] else None
        opt.step()
        for n, p in params.items():
            put("%s/after/%d/%s" % (name, k, n), p.detach().numpy())
    for n, p in params.items():
        st = opt.state.get(p, {})
        for key, value in st.items():
            if value is None:
                continue
            put("%s/state/%s.%s" % (name, n, key), value.detach().numpy().reshape(-1) if value.dim() == 0 else value.detach().numpy())


def scheduler_sequence(make_scheduler, n):
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=0.1)  # lr is overwritten by each scheduler's base / max lr
    sched = make_scheduler(opt)
    out = []
    for _ in range(n):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return out


def schedules():
    S = torch.optim.lr_scheduler
    # step: [base_lr, step_size, gamma, epochs]
    for i, (lr, size, gamma, n) in enumerate([(0.1, 30, 0.1, 100), (0.05, 3, 0.5, 12), (1.0, 1, 0.9, 20)]):
        def mk(opt, lr=lr, size=size, gamma=gamma):
            opt.param_groups[0]["lr"] = lr
            return S.StepLR(opt, step_size=size, gamma=gamma)
        put("sched/step/%d/args" % i, [lr, size, gamma, n], np.float64)
        put("sched/step/%d/lrs" % i, scheduler_sequence(mk, n), np.float64)
    # cosine: [base_lr, t_max, epochs]; runs past t_max to cover the periodic part
    for i, (lr, tmax, n) in enumerate([(0.1, 10, 10), (0.05, 90, 90), (0.2, 7, 20)]):
        def mk(opt, lr=lr, tmax=tmax):
            opt.param_groups[0]["lr"] = lr
            return S.CosineAnnealingLR(opt, T_max=tmax, eta_min=0)
        put("sched/cosine/%d/args" % i, [lr, tmax, n], np.float64)
        put("sched/cosine/%d/lrs" % i, scheduler_sequence(mk, n), np.float64)
    # onecycle: [max_lr, total_steps, pct_start, div_factor, final_div_factor]
    settings = [(0.1, 100, 0.3, 25.0, 1e4), (0.01, 37, 0.25, 25.0, 1e4), (1.0, 10, 0.5, 10.0, 100.0)]
    for i, (mx, total, pct, div, fdiv) in enumerate(settings):
        seqs = {}
        for strategy in ("cos", "linear"):
            def mk(opt, strategy=strategy):
                return S.OneCycleLR(opt, max_lr=mx, total_steps=total, pct_start=pct, div_factor=div,
                                    final_div_factor=fdiv, anneal_strategy=strategy,
                                    three_phase=False, cycle_momentum=False)
            seqs[strategy] = scheduler_sequence(mk, total)
        warmup_end = float(pct * total) - 1  # OneCycleLR's end_step of phase 1
        # Linear warm-up then cosine: PyTorch's linear strategy in phase 1, its cos strategy after.
        hybrid = [seqs["linear"][s] if s <= warmup_end else seqs["cos"][s] for s in range(total)]
        put("sched/onecycle/%d/args" % i, [mx, total, pct, div, fdiv], np.float64)
        put("sched/onecycle/%d/lrs_cos" % i, seqs["cos"], np.float64)
        put("sched/onecycle/%d/lrs_linear_warmup" % i, hybrid, np.float64)


def write(path):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(struct.pack("<i", len(arrays)))
        for name, a in arrays:
            b = name.encode("utf-8")
            f.write(struct.pack("<i", len(b)))
            f.write(b)
            f.write(struct.pack("<b", 0 if a.dtype == np.float32 else 1))
            f.write(struct.pack("<i", a.ndim))
            f.write(struct.pack("<%di" % a.ndim, *a.shape))
            f.write(a.astype("<f4" if a.dtype == np.float32 else "<f8").tobytes())


def main():
    torch.set_num_threads(1)
    init, grads = make_inputs()
    for name, kind, kw in CASES:
        run_case(name, kind, kw, init, grads)
    schedules()
    write(OUT)
    print("wrote %d arrays, %d bytes to %s" % (len(arrays), os.path.getsize(OUT), os.path.normpath(OUT)))


if __name__ == "__main__":
    main()
