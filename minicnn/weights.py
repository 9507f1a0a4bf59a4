"""Import weights saved in torchvision's layout: .npz, .safetensors, or .pth.

Every model in ``minicnn.models`` that mirrors a torchvision model uses the
same state-dict keys and shapes, so its weights load unchanged:

    state = mc.weights.load_torchvision("resnet18.safetensors")
    model = models.resnet18()
    model.load_state_dict(state)

.npz and .safetensors are read with NumPy alone. A safetensors file is an
8-byte little-endian header length, a JSON header ({name: {dtype, shape,
data_offsets}}, plus an optional "__metadata__"), then the raw little-endian
buffers. A .pth file (torch.save's zip format) is read without torch by
``minicnn.pth``, a restricted unpickler; ``convert_weights`` turns any of
them into .npz or .safetensors.
"""
import collections
import json
import os
import pathlib
import struct

import numpy as np

from .pth import read_pth

_SAFETENSORS_DTYPES = {
    "F64": "<f8", "F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4", "I16": "<i2",
    "I8": "i1", "U8": "u1", "U16": "<u2", "U32": "<u4", "U64": "<u8", "BOOL": "?",
}


def read_safetensors(path):
    """{name: array} from a .safetensors file (bfloat16 becomes float32)."""
    data = pathlib.Path(path).read_bytes()
    if len(data) < 8:
        raise ValueError(f"{path}: too short to be a safetensors file ({len(data)} bytes)")
    (n,) = struct.unpack("<Q", data[:8])
    if 8 + n > len(data):
        raise ValueError(f"{path}: header length {n} runs past the end of the file "
                         f"({len(data)} bytes); not a safetensors file?")
    header = json.loads(data[8:8 + n].decode("utf-8"))
    body = memoryview(data)[8 + n:]
    out = collections.OrderedDict()
    entries = sorted(((k, v) for k, v in header.items() if k != "__metadata__"),
                     key=lambda kv: kv[1]["data_offsets"][0])
    for name, info in entries:
        start, end = info["data_offsets"]
        dtype, shape = info["dtype"], tuple(info["shape"])
        raw = body[start:end]
        if dtype == "BF16":
            # NOTE: bfloat16 is the top half of a float32: shift it back up
            bits = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
            array = bits.view(np.float32)
        elif dtype in _SAFETENSORS_DTYPES:
            array = np.frombuffer(raw, dtype=_SAFETENSORS_DTYPES[dtype])
        else:
            raise ValueError(f"{path}: tensor {name!r} has dtype {dtype}, which minicnn cannot read")
        out[name] = array.reshape(shape).astype(array.dtype.newbyteorder("="))
    return out


def write_safetensors(state, path):
    """Write {name: array} as a .safetensors file (keys in the given order)."""
    names = {np.dtype(v).str.lstrip("<|="): k for k, v in _SAFETENSORS_DTYPES.items()}
    header, chunks, offset = {}, [], 0
    for name, value in state.items():
        array = np.asarray(value)            # tobytes() below writes C order
        code = names.get(array.dtype.newbyteorder("<").str.lstrip("<|"))
        if code is None:
            raise ValueError(f"write_safetensors: {name!r} has dtype {array.dtype}, not supported")
        raw = array.astype(array.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": code, "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)            # buffers start 8-byte aligned
    tmp = f"{path}.tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text)
        for raw in chunks:
            f.write(raw)
    os.replace(tmp, path)


def _read_pth(path):
    obj = read_pth(path)
    for key in ("state_dict", "model"):      # checkpoints that wrap the state dict
        if isinstance(obj, dict) and isinstance(obj.get(key), dict):
            obj = obj[key]
    if not isinstance(obj, dict):
        raise ValueError(f"{path}: expected a state dict, got {type(obj).__name__}")
    return collections.OrderedDict((k, v) for k, v in obj.items() if isinstance(v, np.ndarray))


def load_torchvision(path):
    """A state dict of NumPy arrays from .npz, .safetensors or .pth/.pt (no torch needed).

    Keys are kept as saved, so torchvision weights load into the minicnn
    model of the same name with ``model.load_state_dict(state)``.
    """
    path = str(path)
    suffix = pathlib.Path(path).suffix.lower()
    if not os.path.exists(path):
        raise FileNotFoundError(f"load_torchvision: no such file {path!r}")
    if suffix == ".npz":
        with np.load(path, allow_pickle=False) as f:
            return collections.OrderedDict((k, f[k]) for k in f.files)
    if suffix == ".safetensors":
        return read_safetensors(path)
    if suffix in (".pth", ".pt", ".bin"):
        return _read_pth(path)
    raise ValueError(f"load_torchvision: {path!r} has suffix {suffix!r}; "
                     "expected .npz, .safetensors or .pth")


def convert_weights(src, dst):
    """Convert a weights file (.pth, .safetensors or .npz) to .npz or .safetensors.

    Returns the number of arrays written. Used by ``python -m minicnn convert-weights``.
    """
    state = load_torchvision(src)
    suffix = pathlib.Path(str(dst)).suffix.lower()
    if suffix == ".npz":
        tmp = f"{dst}.tmp.npz"
        np.savez(tmp, **state)
        os.replace(tmp, dst)
    elif suffix == ".safetensors":
        write_safetensors(state, dst)
    else:
        raise ValueError(f"convert_weights: cannot write {dst!r}; use .npz or .safetensors")
    return len(state)
