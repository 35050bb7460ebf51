"""Deterministic, formula-based tensors shared by the Python fixture generators and the Java tests.

Committing a full ResNet's weights would take tens of megabytes. Instead both sides fill every
tensor from a hash of its name and element index (SplitMix64), so a fixture only has to hold
the outputs PyTorch computed. The Java twin is src/test/java/dev/resnet4j/FixtureWeights.java;
the two must stay identical.
"""
import zlib

import numpy as np

GOLDEN = np.uint64(0x9E3779B97F4A7C15)
M1 = np.uint64(0xBF58476D1CE4E5B9)
M2 = np.uint64(0x94D049BB133111EB)


def uniform01(name, n):
    """n values in [0, 1) on a 2^-24 grid, from SplitMix64 over (crc32(name) << 32) + i."""
    seed = np.uint64(zlib.crc32(name.encode("utf-8")))
    with np.errstate(over="ignore"):
        x = (seed << np.uint64(32)) + np.arange(n, dtype=np.uint64)
        z = x + GOLDEN
        z = (z ^ (z >> np.uint64(30))) * M1
        z = (z ^ (z >> np.uint64(27))) * M2
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(40)).astype(np.float64) / float(1 << 24)


def uniform(name, shape, lo, hi):
    n = int(np.prod(shape)) if len(shape) else 1
    return (lo + (hi - lo) * uniform01(name, n)).astype(np.float32).reshape(shape)


def value_range(key, shape):
    """The range each kind of tensor is drawn from; None leaves the tensor as it is."""
    if key.endswith("num_batches_tracked"):
        return None
    if key.endswith("running_mean") or key.endswith("bias") and len(shape) == 1 and not key.startswith("fc"):
        return (-0.2, 0.2)
    if key.endswith("running_var"):
        return (0.5, 1.5)
    if len(shape) == 4:  # convolution: He-scaled uniform over fan-in
        a = (3.0 * 2.0 / (shape[1] * shape[2] * shape[3])) ** 0.5
        return (-a, a)
    if key.startswith("fc"):
        fan_in = shape[1] if len(shape) == 2 else None
        if fan_in is None:
            return (-0.05, 0.05)
        b = 0.1 / fan_in ** 0.5  # smaller than PyTorch's init so the softmax does not saturate
        return (-b, b)
    if key.endswith("weight") and len(shape) == 1:  # batch-norm gamma
        return (0.5, 1.5)
    raise ValueError("no fixture rule for " + key)


def fill_state_dict(model):
    """Overwrites every parameter and buffer of a torch model with the formula's values."""
    import torch
    sd = model.state_dict()
    with torch.no_grad():
        for key, t in sd.items():
            r = value_range(key, tuple(t.shape))
            if r is not None:
                t.copy_(torch.from_numpy(uniform(key, tuple(t.shape), r[0], r[1])))
