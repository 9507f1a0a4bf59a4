"""Checkpoints: ``mc.save(obj, path)`` and ``mc.load(path)``.

A checkpoint is one ``.npz`` file (a zip of ``.npy`` arrays), readable with
``np.load`` alone and without pickle, so loading a file from elsewhere cannot
run code. ``obj`` is a state dict (name -> array) or nested dicts, lists and
tuples of them with numbers, strings, bools and None, such as

    mc.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 3}, "ckpt.npz")

Arrays are stored under their path joined by "/" (``model/features.0.weight``).
Everything else, and the shape of the nesting (dict keys that are ints, as in
an optimizer's state, tuples, OrderedDicts), goes into one JSON entry, so
``load`` gives back an equal object. A plain ``.npz`` of arrays (say, converted
weights) loads as a flat dict.

The write is atomic: the file is written to a temporary name in the same folder
and then renamed over ``path`` (``os.replace``), so a crash or a full disk midway
leaves the previous checkpoint as it was.
"""
import collections
import json
import os
import zipfile

import numpy as np

from . import backend
from .tensor import Tensor

FORMAT_KEY = "__minicnn_format__"
TREE_KEY = "__minicnn_tree__"
FORMAT_VERSION = 1


class CheckpointError(ValueError):
    """A file that exists but is not a readable checkpoint (truncated, corrupt, or not one)."""


# --- encoding: object -> (tree of JSON, arrays by name) ----------------------

def _encode(obj, path, arrays):
    where = "/".join(str(p) for p in path) or "the top level"
    if isinstance(obj, Tensor):
        return {"tensor": _add_array(obj.data, path, arrays), "requires_grad": bool(obj.requires_grad)}
    if isinstance(obj, np.ndarray) or backend.is_cupy_array(obj):
        return {"array": _add_array(obj, path, arrays)}
    if isinstance(obj, np.generic):
        return {"scalar": _add_array(np.asarray(obj), path, arrays)}
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return {"value": obj}
    if isinstance(obj, dict):
        items = []
        for key, value in obj.items():
            if isinstance(key, bool) or not isinstance(key, (str, int)):
                raise TypeError(f"mc.save: dict keys must be str or int, got {key!r} "
                                f"({type(key).__name__}) at {where}")
            items.append([key, _encode(value, path + [key], arrays)])
        kind = "ordered" if isinstance(obj, collections.OrderedDict) else "dict"
        return {kind: items}
    if isinstance(obj, (list, tuple)):
        kind = "tuple" if isinstance(obj, tuple) else "list"
        return {kind: [_encode(v, path + [i], arrays) for i, v in enumerate(obj)]}
    raise TypeError(f"mc.save: cannot store a {type(obj).__name__} at {where}; a checkpoint holds "
                    "arrays, Tensors, numbers, strings, bools, None, and dicts, lists and tuples "
                    "of them (use module.state_dict(), not the module)")


def _add_array(array, path, arrays):
    array = backend.to_device(array, "cpu")
    if array.dtype.hasobject:
        raise TypeError(f"mc.save: array at {'/'.join(map(str, path))} has dtype object, which "
                        "cannot be stored without pickle")
    name = "/".join(str(p) for p in path) or "array"
    base, n = name, 1
    while name in arrays or name in (FORMAT_KEY, TREE_KEY):
        name, n = f"{base}#{n}", n + 1
    arrays[name] = array
    return name


def _decode(node, arrays):
    if "tensor" in node:
        return Tensor(arrays[node["tensor"]], requires_grad=node.get("requires_grad", False))
    (kind, value), = node.items()
    if kind == "value":
        return value
    if kind == "array":
        return arrays[value]
    if kind == "scalar":
        return arrays[value][()]
    if kind in ("dict", "ordered"):
        pairs = [(k, _decode(v, arrays)) for k, v in value]
        return collections.OrderedDict(pairs) if kind == "ordered" else dict(pairs)
    if kind in ("list", "tuple"):
        items = [_decode(v, arrays) for v in value]
        return tuple(items) if kind == "tuple" else items
    raise CheckpointError(f"unknown entry {kind!r} in the checkpoint's structure")


# --- the file ----------------------------------------------------------------

def save(obj, path):
    """Write ``obj`` (a state dict or nested dicts of them) to ``path`` atomically.

    The file name is used as given (no ".npz" is appended).
    """
    path = os.fspath(path)
    arrays = {}
    tree = _encode(obj, [], arrays)      # type errors surface before any file is touched
    arrays[FORMAT_KEY] = np.asarray(FORMAT_VERSION)
    arrays[TREE_KEY] = np.asarray(json.dumps(tree))
    write_atomic(path, lambda f: _write_npz(f, arrays), who="mc.save")


def write_atomic(path, write, who="write_atomic"):
    """Write a file all or nothing: into a temporary name beside it, then renamed over it.

    ``write`` is bytes, or a function that writes to the open binary file.
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"{who}: folder {folder!r} does not exist; create it first")
    tmp = os.path.join(folder, f".{os.path.basename(path)}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as f:
            if callable(write):
                write(f)
            else:
                f.write(write)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def _write_npz(f, arrays):
    """np.savez's format, written entry by entry (savez would take names such as 'file' as its own)."""
    with zipfile.ZipFile(f, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:
        for name, array in arrays.items():
            with zf.open(name + ".npy", "w", force_zip64=True) as out:
                np.lib.format.write_array(out, np.asarray(array), allow_pickle=False)


def load(path):
    """Read a checkpoint written by ``save`` (or any ``.npz`` of arrays, as a flat dict).

    Raises FileNotFoundError when there is no file, and CheckpointError when the
    file is not a readable checkpoint (truncated by a crash, corrupt, or another format).
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"mc.load: no checkpoint at {path!r}")
    try:
        f = np.load(path, allow_pickle=False)
        if not hasattr(f, "files"):
            raise CheckpointError(f"mc.load: {path!r} holds a single .npy array, not a checkpoint")
        with f:
            arrays = {name: f[name] for name in f.files}
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, KeyError) as err:
        if isinstance(err, CheckpointError):
            raise
        raise CheckpointError(f"mc.load: {path!r} is not a readable checkpoint (truncated, corrupt "
                              f"or not an .npz file): {type(err).__name__}: {err}") from err
    if FORMAT_KEY not in arrays:
        return dict(arrays)
    version = int(arrays.pop(FORMAT_KEY))
    if version > FORMAT_VERSION:
        raise CheckpointError(f"mc.load: {path!r} has checkpoint format {version}, newer than this "
                              f"minicnn reads ({FORMAT_VERSION}); upgrade minicnn")
    try:
        tree = json.loads(str(arrays.pop(TREE_KEY)))
        return _decode(tree, arrays)
    except (KeyError, ValueError, TypeError) as err:
        raise CheckpointError(f"mc.load: {path!r} has a damaged structure entry: "
                              f"{type(err).__name__}: {err}") from err
