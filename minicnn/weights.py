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

Every reader checks a file before it allocates (see ``minicnn.filecheck``): a
safetensors header must be a JSON object of known dtypes whose shapes have at most
64 dimensions, whose sizes and data_offsets are ints from 0 to 2**63 - 1 (checked
before any product or message), and whose data_offsets lie in the file, do not
overlap, match each shape, and together cover the data exactly. Anything wrong
with a weights file that is there is a ``minicnn.io.CheckpointError`` (a
ValueError) with one line naming the file; a missing file is a FileNotFoundError.
Writes are atomic (``io.write_atomic``).
"""

import collections
import json
import math
import os
import pathlib
import struct
import sys
import zipfile

import numpy as np

from .filecheck import check_claim, index_problem, open_regular
from .io import (
    FORMAT_KEY,
    TREE_KEY,
    CheckpointError,
    ForeignWeights,
    check_names,
    load,
    read_npz,
    write_arrays,
    write_atomic,
)
from .pth import bfloat16_to_float32, read_pth
from .safepickle import describe, shown

__all__ = ["load_torchvision", "convert_weights", "read_safetensors", "write_safetensors"]

_SAFETENSORS_DTYPES = {
    "F64": "<f8",
    "F32": "<f4",
    "F16": "<f2",
    "I64": "<i8",
    "I32": "<i4",
    "I16": "<i2",
    "I8": "i1",
    "U8": "u1",
    "U16": "<u2",
    "U32": "<u4",
    "U64": "<u8",
    "BOOL": "?",
}


MAX_HEADER_BYTES = 100 << 20  # the safetensors reference reader's limit on the JSON header
# Python objects a character of the header may become: '{"":{}}' is 8 characters and two dicts
# of 184 and 64 bytes, and a short string of ASCII text is 50 bytes and more
_JSON_BYTES_PER_CHAR = 64


def read_safetensors(path):
    """{name: array} from a .safetensors file (bfloat16 becomes float32), in the order of the data."""
    path = os.fspath(path)
    with open_regular(path, CheckpointError) as f:
        size = os.fstat(f.fileno()).st_size
        if size < 8:
            raise CheckpointError(f"{path}: too short to be a safetensors file ({size} bytes)")
        (n,) = struct.unpack("<Q", f.read(8))
        if n > min(MAX_HEADER_BYTES, size - 8):
            raise CheckpointError(
                f"{path}: header length {n} runs past the end of the file "
                f"({size} bytes) or over {MAX_HEADER_BYTES}; not a safetensors file?"
            )
        # the header's objects are gone once checked, before any tensor is read
        entries = _check_header(_read_header(f, n, path), size - 8 - n, path)
        check_claim(_memory_of(entries), "its tensors", path, CheckpointError)
        out = collections.OrderedDict()
        for name, code, shape, begin, end in entries:
            f.seek(8 + n + begin)
            out[name] = _read_tensor(f, end - begin, code, path, name).reshape(shape)
    return out


def _read_header(f, n, path):
    """The JSON header of ``n`` bytes, parsed once what it may become fits the read limit."""
    check_claim(n * _JSON_BYTES_PER_CHAR, "its header, parsed,", path, CheckpointError)
    try:
        return json.loads(f.read(n).decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise CheckpointError(f"{path}: the header is not JSON ({describe(e)})") from None


def _read_tensor(f, nbytes, code, path, name):
    """The next ``nbytes`` of ``f`` as a flat array of safetensors dtype ``code``, in native byte order."""
    buffer = bytearray(nbytes)
    if f.readinto(buffer) != nbytes:
        raise CheckpointError(f"{path}: tensor {name!r:.80} is cut short (the file shrank?)")
    if code == "BF16":
        return bfloat16_to_float32(np.frombuffer(buffer, dtype="<u2"))
    array = np.frombuffer(buffer, dtype=_SAFETENSORS_DTYPES[code])
    return array.astype(array.dtype.newbyteorder("="), copy=False)


def _memory_of(entries):
    """The most bytes reading ``entries`` holds at once: every array kept, and the bytes of the
    largest bfloat16 tensor beside its float32 (bfloat16 doubles in size as it becomes float32)."""
    kept = sum((end - begin) * (2 if code == "BF16" else 1) for _, code, _, begin, end in entries)
    read = max((end - begin for _, code, _, begin, end in entries if code == "BF16"), default=0)
    return kept + read


def _check_header(header, data_bytes, path):
    """[(name, dtype code, shape, begin, end)] sorted by offset, after checking every field."""
    if not isinstance(header, dict):
        raise CheckpointError(f"{path}: the header is a JSON {type(header).__name__}, not an object")
    if not isinstance(header.get("__metadata__", {}), dict):
        raise CheckpointError(f"{path}: the header's __metadata__ is not a JSON object")
    entries = []
    for name, info in header.items():
        if name == "__metadata__":
            continue
        where = f"{path}: tensor {name!r:.80}"
        if not isinstance(info, dict):
            raise CheckpointError(f"{where} is described by a JSON {type(info).__name__}, not an object")
        code, shape, offsets = info.get("dtype"), info.get("shape"), info.get("data_offsets")
        if not isinstance(code, str) or (code not in _SAFETENSORS_DTYPES and code != "BF16"):
            raise CheckpointError(f"{where} has dtype {shown(code, 20)}, which minicnn cannot read")
        # NOTE: checked before any product or message: math.prod of a thousand ints of
        # thousands of digits runs for minutes, and their digits are too many to print
        why = index_problem(shape)
        if why:
            raise CheckpointError(f"{where} has a shape that {why}; expected a list of sizes")
        if not isinstance(offsets, list) or len(offsets) != 2 or index_problem(offsets, dims=False):
            got = shown(offsets)
            raise CheckpointError(f"{where} has data_offsets {got}, not [begin, end] from 0 to 2**63 - 1")
        begin, end = offsets
        if not 0 <= begin <= end <= data_bytes:
            raise CheckpointError(
                f"{where} has data_offsets [{begin}, {end}] outside the {data_bytes} bytes of data"
            )
        itemsize = 2 if code == "BF16" else np.dtype(_SAFETENSORS_DTYPES[code]).itemsize
        if end - begin != math.prod(shape) * itemsize:
            raise CheckpointError(
                f"{where} has shape {tuple(shape)} {code}, "
                f"{math.prod(shape) * itemsize} bytes, but data_offsets span {end - begin}"
            )
        if math.prod(max(n, 1) for n in shape) * itemsize > sys.maxsize:  # empty, but still impossible
            raise CheckpointError(f"{where} has an impossible shape {tuple(shape)}: no array is that large")
        entries.append((name, code, tuple(shape), begin, end))
    entries.sort(key=lambda e: (e[3], e[4]))
    position = 0
    for name, _, _, begin, end in entries:
        if begin != position:
            what = "overlaps the tensor before it" if begin < position else "leaves a gap before it"
            raise CheckpointError(f"{path}: tensor {name!r:.80} at [{begin}, {end}] {what}")
        position = end
    if position != data_bytes:
        raise CheckpointError(f"{path}: the tensors cover {position} of the {data_bytes} bytes of data")
    return entries


def write_safetensors(state, path, overwrite=True):
    """Write {name: array} as a .safetensors file (keys in the given order).

    ``overwrite=False`` keeps a file already at ``path`` (``FileExistsError``)."""
    check_names(state, "write_safetensors", reserved=("__metadata__",))
    names = {np.dtype(v).str.lstrip("<|="): k for k, v in _SAFETENSORS_DTYPES.items()}
    header, chunks, offset = {}, [], 0
    for name, value in state.items():
        array = np.asarray(value)  # tobytes() below writes C order
        code = names.get(array.dtype.newbyteorder("<").str.lstrip("<|"))
        if code is None:
            raise ValueError(f"write_safetensors: {name!r} has dtype {array.dtype}, not supported")
        raw = array.astype(array.dtype.newbyteorder("<")).tobytes()
        header[name] = {
            "dtype": code,
            "shape": list(array.shape),
            "data_offsets": [offset, offset + len(raw)],
        }
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)  # buffers start 8-byte aligned

    def write(f):
        f.write(struct.pack("<Q", len(text)) + text)
        for raw in chunks:
            f.write(raw)

    write_atomic(path, write, who="write_safetensors", overwrite=overwrite)


def _read_pth(path):
    obj = read_pth(path)
    for key in ("state_dict", "model"):  # checkpoints that wrap the state dict
        if isinstance(obj, dict) and isinstance(obj.get(key), dict):
            obj = obj[key]
    if not isinstance(obj, dict):
        raise CheckpointError(f"{path}: expected a state dict, got {type(obj).__name__}")
    state = collections.OrderedDict((k, v) for k, v in obj.items() if isinstance(v, np.ndarray))
    key = next((k for k in state if not isinstance(k, str)), None)
    if key is not None:
        raise CheckpointError(
            f"{path}: a tensor's key is {shown(key)} ({type(key).__name__}); a state dict's keys are str"
        )
    if not state:
        raise CheckpointError(f"{path}: expected a state dict of tensors, got a dict holding none")
    return state


def load_torchvision(path):
    """A state dict of NumPy arrays from .npz, .safetensors or .pth/.pt (no torch needed).

    The format is told by the file's content, whatever its name (``io.read_npz`` tells the
    other two apart from an .npz). Keys are kept as saved, so torchvision weights load into
    the minicnn model of the same name with ``model.load_state_dict(state)``.
    """
    path = str(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"load_torchvision: no such file {path!r}")
    try:
        arrays = read_npz(path, who="load_torchvision")
    except ForeignWeights as foreign:
        return read_safetensors(path) if foreign.kind == ".safetensors" else _read_pth(path)
    except CheckpointError:
        if _is_zip(path):  # a zip, and not torch's (read_npz tells those): what read_npz found is why
            raise
        # none of the three by its content: the reader its name asks for says why, else say what is read
        suffix = pathlib.Path(path).suffix.lower()
        if suffix in (".pth", ".pt", ".bin"):
            return _read_pth(path)
        if suffix == ".safetensors":
            return read_safetensors(path)
        if suffix == ".npz":
            raise
        raise CheckpointError(
            f"load_torchvision: {path} is not a weights file it reads, by its content or its name "
            "(expected .npz, .safetensors or .pth)"
        ) from None
    if FORMAT_KEY in arrays:  # written by mc.save: a state dict, or a checkpoint holding one
        return _state_of_checkpoint(path)
    return collections.OrderedDict(arrays)


def _is_zip(path):
    """Whether ``path`` is a regular file that zipfile takes for a zip (it has a zip's end record)."""
    try:
        with open_regular(path, CheckpointError) as f:
            return zipfile.is_zipfile(f)
    except (CheckpointError, OSError):
        return False


def _state_of_checkpoint(path):
    """The state dict in a file of ``mc.save``: the file itself, or a training checkpoint's "model"."""
    obj = load(path)
    if isinstance(obj, dict) and isinstance(obj.get("model"), dict):
        obj = obj["model"]
    if not (isinstance(obj, dict) and all(isinstance(v, np.ndarray) for v in obj.values())):
        raise CheckpointError(f"{path}: holds no state dict (name -> array) of model weights")
    return collections.OrderedDict(obj)


def convert_weights(src, dst, overwrite=True):
    """Convert a weights file (.pth, .safetensors or .npz) to .npz or .safetensors.

    Returns the number of arrays written. Used by ``python -m minicnn convert-weights``.
    Every key must be a name either format holds and gives back as it was (see
    ``io.check_names``); one that is not is refused, naming it, before anything is written.
    ``overwrite=False`` keeps a file at ``dst``, even one made while converting
    (``FileExistsError``).
    """
    suffix = pathlib.Path(str(dst)).suffix.lower()
    if suffix not in (".npz", ".safetensors"):
        raise ValueError(f"convert_weights: cannot write {dst!r}; use .npz or .safetensors")
    state = load_torchvision(src)
    check_names(state, f"convert_weights: {src}", reserved=(FORMAT_KEY, TREE_KEY, "__metadata__"))
    if suffix == ".npz":
        write_arrays(dst, state, who="convert_weights", overwrite=overwrite)
    else:
        write_safetensors(state, dst, overwrite=overwrite)
    return len(state)
