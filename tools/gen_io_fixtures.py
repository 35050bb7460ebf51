#!/usr/bin/python3
"""Writes the io test fixtures into src/test/resources/io/.

Run with Debian's Python, which has PyTorch 1.13:  /usr/bin/python3 tools/gen_io_fixtures.py

Good fixtures come with expected.json: for every file, every tensor's shape and values as
PyTorch / NumPy see them, converted to float32, so the Java tests compare against PyTorch
and not against hand-typed numbers. Hostile fixtures are built from bytes: nothing here ever
unpickles them.
"""
import collections
import io
import json
import os
import pickle
import struct
import zipfile

import numpy as np
import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "test", "resources", "io")
os.makedirs(OUT, exist_ok=True)
torch.manual_seed(0)
rng = np.random.default_rng(0)
expected = {}


def path(name):
    return os.path.join(OUT, name)


def record(name, tensors):
    """Shape and float32 values of each tensor, in order."""
    expected[name] = [
        {"key": k, "shape": list(t.shape), "values": [float(v) for v in t.detach().float().flatten().tolist()]}
        for k, t in tensors.items()
    ]


# ---- torch.save: zip and legacy ----

def mixed_state_dict():
    sd = collections.OrderedDict()
    sd["conv1.weight"] = torch.randn(4, 3, 3, 3)
    sd["bn1.weight"] = torch.nn.Parameter(torch.rand(4))
    sd["bn1.running_mean"] = torch.randn(4)
    sd["bn1.num_batches_tracked"] = torch.tensor(7)
    sd["half"] = torch.randn(2, 3).half()
    sd["bf16"] = torch.randn(5).bfloat16()
    sd["double"] = torch.randn(2, 2).double()
    sd["int32"] = torch.tensor([-3, 0, 2147483647], dtype=torch.int32)
    sd["int16"] = torch.tensor([-32768, 5], dtype=torch.int16)
    sd["int8"] = torch.tensor([-128, 0, 127], dtype=torch.int8)
    sd["uint8"] = torch.tensor([0, 1, 200, 255], dtype=torch.uint8)
    sd["bool"] = torch.tensor([True, False, True])
    sd["transposed"] = torch.randn(3, 5).t()            # strides (1, 5)
    base = torch.randn(6, 4)
    sd["sliced"] = base[1:5:2, 1:3]                      # offset 5, strides (8, 1)
    shared = torch.randn(2, 3)
    sd["shared.a"] = shared[0]                           # two views of one storage
    sd["shared.b"] = shared[1]
    sd["scalar"] = torch.tensor(3.5)
    sd["empty"] = torch.zeros(0, 3)
    return sd


sd = mixed_state_dict()
torch.save(sd, path("state_zip.pth"))
torch.save(sd, path("state_legacy.pth"), _use_new_zipfile_serialization=False)
record("state_zip.pth", sd)
record("state_legacy.pth", sd)

small = collections.OrderedDict(fc_weight=torch.randn(2, 3), fc_bias=torch.randn(2))
torch.save({"epoch": 3, "best": 0.75, "state_dict": small, "tag": "run1"}, path("checkpoint_state_dict.pth"))
record("checkpoint_state_dict.pth", small)
torch.save({"model": small, "step": 10}, path("checkpoint_model_legacy.pth"), _use_new_zipfile_serialization=False)
record("checkpoint_model_legacy.pth", small)
plain = {"w": torch.arange(6, dtype=torch.float32).reshape(2, 3)}   # plain dict, not OrderedDict
torch.save(plain, path("plain_dict.pt"))
record("plain_dict.pt", plain)

# ---- safetensors, written by following the specification ----

ST_DTYPES = {
    torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.float64: "F64",
    torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8",
    torch.uint8: "U8", torch.bool: "BOOL",
}


def raw_bytes(t):
    t = t.detach().contiguous()
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().tobytes()
    return t.numpy().tobytes()


def safetensors_bytes(tensors, metadata=None, pad=True):
    header = {}
    if metadata is not None:
        header["__metadata__"] = metadata
    offset = 0
    blobs = []
    for k, t in tensors.items():
        b = raw_bytes(t)
        header[k] = {"dtype": ST_DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(b)]}
        offset += len(b)
        blobs.append(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    if pad:
        h += b" " * ((8 - len(h) % 8) % 8)
    return struct.pack("<Q", len(h)) + h + b"".join(blobs)


st = collections.OrderedDict(
    (k, v.contiguous()) for k, v in sd.items() if k not in ("shared.a", "shared.b"))
st["weird \"name\" é"] = torch.randn(2)
with open(path("mixed.safetensors"), "wb") as f:
    f.write(safetensors_bytes(st, metadata={"format": "pt", "note": "fixture"}))
record("mixed.safetensors", st)

# ---- .npy ----

npys = {
    "f32.npy": rng.standard_normal((2, 3, 4)).astype(np.float32),
    "f64.npy": rng.standard_normal((3, 2)),
    "f16.npy": rng.standard_normal(5).astype(np.float16),
    "i64.npy": np.array([0, 5, -1, 2 ** 40, 9], dtype=np.int64),
    "i32.npy": np.array([[1, -2], [3, 4]], dtype=np.int32),
    "u8.npy": np.arange(12, dtype=np.uint8).reshape(3, 4),
    "bool.npy": np.array([True, False, True]),
    "fortran.npy": np.asfortranarray(rng.standard_normal((3, 4, 2)).astype(np.float32)),
    "bigendian.npy": rng.standard_normal((2, 3)).astype(">f4"),
    "scalar.npy": np.array(2.5, dtype=np.float32),
}
for name, a in npys.items():
    np.save(path(name), a)
    expected[name] = [{"key": "", "shape": list(a.shape), "values": [float(v) for v in a.astype(np.float64).flatten(order="C")]}]
    if a.dtype.kind in "iub":
        expected[name][0]["longs"] = [int(v) for v in a.flatten(order="C")]

with open(path("expected.json"), "w") as f:
    json.dump(expected, f, indent=0)

# ---- hostile torch files ----

def torch_zip(name, pickle_bytes, storages=None, prefix="archive/", extra_entries=()):
    with zipfile.ZipFile(path(name), "w", zipfile.ZIP_STORED) as z:
        z.writestr(prefix + "data.pkl", pickle_bytes)
        for key, data in (storages or {}).items():
            z.writestr(prefix + "data/" + key, data)
        for entry_name, data in extra_entries:
            z.writestr(entry_name, data)
        z.writestr(prefix + "version", "3\n")


def call_global(module, name, arg=b"echo pwned"):
    """Protocol-2 pickle that would call module.name(arg): GLOBAL, argument tuple, REDUCE."""
    return (b"\x80\x02c" + module.encode() + b"\n" + name.encode() + b"\n"
            + b"X" + struct.pack("<I", len(arg)) + arg + b"\x85R.")


for mod, fn in [("os", "system"), ("builtins", "eval"), ("subprocess", "Popen"), ("posix", "system"),
                ("nt", "system"), ("builtins", "exec"), ("torch.storage", "_load_from_bytes")]:
    torch_zip(f"evil_{mod.replace('.', '_')}_{fn}.pth", call_global(mod, fn))

# The same attack through STACK_GLOBAL (protocol 4) and in the legacy (non-zip) layout.
evil_stack = (b"\x80\x04\x8c\x05posix\x94\x8c\x06system\x94\x93\x94\x8c\x02id\x94\x85\x94R\x94.")
torch_zip("evil_stack_global.pth", evil_stack)
with open(path("evil_legacy_os_system.pth"), "wb") as f:
    f.write(call_global("os", "system"))
# INST opcode: creates an instance by calling a class, refused as an opcode.
with open(path("evil_inst.pth"), "wb") as f:
    f.write(b"\x80\x02(X\x02\x00\x00\x00idios\nsystem\n.")


class Storage:
    def __init__(self, key, numel, kind="FloatStorage"):
        self.key, self.numel, self.kind = key, numel, kind


class View:
    """Pickles as torch's _rebuild_tensor_v2 call with arbitrary (possibly hostile) metadata."""

    def __init__(self, storage, offset, size, stride):
        self.args = (storage, offset, tuple(size), tuple(stride), False, collections.OrderedDict())

    def __reduce__(self):
        return (torch._utils._rebuild_tensor_v2, self.args)


def view_pickle(views):
    buf = io.BytesIO()
    p = pickle.Pickler(buf, protocol=2)
    p.persistent_id = lambda o: (("storage", getattr(torch, o.kind), o.key, "cpu", o.numel)
                                 if isinstance(o, Storage) else None)
    p.dump(collections.OrderedDict(views))
    return buf.getvalue()


floats12 = np.arange(12, dtype=np.float32).tobytes()
s12 = Storage("0", 12)
torch_zip("storage_too_small.pth", view_pickle({"w": View(s12, 0, (4, 4), (4, 1))}), {"0": floats12})
torch_zip("storage_offset_past_end.pth", view_pickle({"w": View(s12, 10, (3,), (1,))}), {"0": floats12})
torch_zip("negative_stride.pth", view_pickle({"w": View(s12, 11, (3,), (-1,))}), {"0": floats12})
torch_zip("negative_size.pth", view_pickle({"w": View(s12, 0, (-3,), (1,))}), {"0": floats12})
torch_zip("overflow_size.pth", view_pickle({"w": View(s12, 0, (2 ** 40, 2 ** 40), (1, 1))}), {"0": floats12})
torch_zip("expanded_view.pth", view_pickle({"w": View(Storage("0", 1), 0, (1 << 30,), (0,))}),
          {"0": floats12[:4]})
torch_zip("storage_size_mismatch.pth", view_pickle({"w": View(Storage("0", 100), 0, (3,), (1,))}), {"0": floats12})
torch_zip("storage_missing.pth", view_pickle({"w": View(s12, 0, (3,), (1,))}), {})
# A transposed view built by hand, which must read like PyTorch's own transposed tensor.
torch_zip("handmade_transposed.pth", view_pickle({"w": View(s12, 1, (3, 2), (1, 4))}), {"0": floats12})
expected_handmade = torch.arange(12, dtype=torch.float32).as_strided((3, 2), (1, 4), 1)
expected["handmade_transposed.pth"] = [{"key": "w", "shape": [3, 2],
                                        "values": [float(v) for v in expected_handmade.flatten().tolist()]}]
with open(path("expected.json"), "w") as f:
    json.dump(expected, f, indent=0)

good_pickle = view_pickle({"w": View(s12, 0, (3,), (1,))})
torch_zip("zip_dotdot.pth", good_pickle, {"0": floats12}, extra_entries=[("archive/../evil.sh", b"rm -rf /")])
torch_zip("zip_two_prefixes.pth", good_pickle, {"0": floats12}, extra_entries=[("other/data/1", floats12)])
with open(path("state_zip.pth"), "rb") as f:
    whole = f.read()
with open(path("zip_truncated.pth"), "wb") as f:
    f.write(whole[: len(whole) // 2])
import warnings
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    torch_zip("zip_duplicate.pth", good_pickle, {"0": floats12}, extra_entries=[("archive/data/0", floats12)])
# A pickle that is only a list, and one cut off before STOP.
torch_zip("not_a_dict.pth", b"\x80\x02]q\x00.")
torch_zip("pickle_truncated.pth", good_pickle[:-5], {"0": floats12})

# ---- hostile safetensors ----

def st_raw(header, data=b"", length=None):
    h = json.dumps(header).encode() if isinstance(header, dict) else header
    n = len(h) if length is None else length
    return struct.pack("<Q", n) + h + data


def write(name, b):
    with open(path(name), "wb") as f:
        f.write(b)


d8 = bytes(8)
write("st_overlap.safetensors", st_raw({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                                        "b": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}, d8))
write("st_hole.safetensors", st_raw({"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}, d8))
write("st_past_end.safetensors", st_raw({"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}, d8))
write("st_size_mismatch.safetensors", st_raw({"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}, d8))
write("st_unknown_dtype.safetensors", st_raw({"a": {"dtype": "C64", "shape": [1], "data_offsets": [0, 8]}}, d8))
write("st_negative.safetensors", st_raw({"a": {"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}}, d8))
write("st_overflow.safetensors", st_raw({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 2 ** 70]}}, d8))
write("st_duplicate.safetensors", st_raw(b'{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},'
                                         b'"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}', d8))
write("st_bad_utf8.safetensors", st_raw(b'{"\xff":{}}', d8))
write("st_bad_json.safetensors", st_raw(b'{"a":{"dtype":"F32",}}', d8))
write("st_huge_header.safetensors", struct.pack("<Q", 2 ** 62) + b"{}" + bytes(6))
write("st_header_past_end.safetensors", struct.pack("<Q", 1000) + b"{}" + bytes(6))

# ---- hostile .npy ----

def npy_raw(header, data=b"", magic=b"\x93NUMPY", version=b"\x01\x00"):
    return magic + version + struct.pack("<H", len(header)) + header + data


write("npy_bad_magic.npy", npy_raw(b"{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }\n", bytes(4),
                                   magic=b"\x93NUMPZ"))
write("npy_object.npy", npy_raw(b"{'descr': '|O', 'fortran_order': False, 'shape': (1,), }\n", bytes(8)))
write("npy_version.npy", npy_raw(b"{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }\n", bytes(4),
                                 version=b"\x09\x00"))
write("npy_shape_mismatch.npy", npy_raw(b"{'descr': '<f4', 'fortran_order': False, 'shape': (1000, 1000), }\n",
                                        bytes(16)))
write("npy_huge_header.npy", b"\x93NUMPY\x02\x00" + struct.pack("<I", 2 ** 31) + b"{}")
write("npy_eval_header.npy", npy_raw(b"{'descr': __import__('os').system('id'), 'fortran_order': False, "
                                     b"'shape': (1,), }\n", bytes(4)))
print("fixtures written to", os.path.normpath(OUT))
