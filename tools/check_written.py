#!/usr/bin/python3
"""Loads files written by resnet4j the way Python users will, and reports what it sees.

    /usr/bin/python3 tools/check_written.py FILE.pth FILE.safetensors ... [--json OUT.json]

.pth files go through torch.load(path, weights_only=True) (PyTorch 1.13's restricted
unpickler); .safetensors files through a reader that follows the specification (the
safetensors package is not installed). For each tensor: dtype, shape, sum and values.
"""
import json
import os
import struct
import sys

import numpy as np
import torch

ST = {"F32": np.float32, "F64": np.float64, "F16": np.float16, "I64": np.int64, "I32": np.int32,
      "I16": np.int16, "I8": np.int8, "U8": np.uint8, "BOOL": np.bool_}


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    assert (8 + n) % 8 == 0, "data section not 8-byte aligned"
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    header.pop("__metadata__", None)
    data = raw[8 + n:]
    out = {}
    end = 0
    for k, info in header.items():
        b, e = info["data_offsets"]
        assert b == end, "holes or overlap"
        end = e
        a = np.frombuffer(data[b:e], dtype=ST[info["dtype"]]).reshape(info["shape"])
        out[k] = torch.from_numpy(a.copy())
    assert end == len(data), "trailing bytes"
    return out


def main(argv):
    out_json = None
    if "--json" in argv:
        i = argv.index("--json")
        out_json = argv[i + 1]
        argv = argv[:i] + argv[i + 2:]
    report = {}
    for path in argv:
        if path.endswith(".safetensors"):
            sd = read_safetensors(path)
        else:
            sd = torch.load(path, weights_only=True)
        entries = []
        for k, t in sd.items():
            print(f"{os.path.basename(path)}  {k:32s} {str(t.dtype):14s} {list(t.shape)}  sum={t.double().sum().item():.9g}")
            entries.append({"key": k, "dtype": str(t.dtype), "shape": list(t.shape),
                            "sum": t.double().sum().item(),
                            "values": [float(v) for v in t.double().flatten().tolist()]})
        report[os.path.basename(path)] = entries
    if out_json:
        with open(out_json, "w") as f:
            json.dump(report, f, indent=0)


if __name__ == "__main__":
    main(sys.argv[1:])
