"""mc.save's structure entry: an object as a tree of JSON with its arrays by name, and back.

``encode`` makes the tree ``mc.save`` writes beside the arrays: a dict is
``{"dict": [[key, node], ...]}`` (``"ordered"`` for an OrderedDict), a list or tuple
``{"list": [node, ...]}``, an array ``{"array": name}``, a Tensor ``{"tensor": name,
"requires_grad": bool}``, a NumPy scalar ``{"scalar": name}`` and anything else JSON
holds ``{"value": v}``. Each array gets a name of its own, its key path joined by "/".

``decode`` reads a tree from a file (``mc.load``, in io.py) and raises ValueError,
KeyError or TypeError for a tree ``encode`` never makes; io.py reports them as a
damaged structure entry, naming the file.
"""

import collections

import numpy as np

from . import backend
from .filecheck import KEY_INTS, is_key
from .safepickle import shown
from .tensor import Tensor

FORMAT_KEY = "__minicnn_format__"
TREE_KEY = "__minicnn_tree__"


def encode(obj, path, arrays):
    """The JSON tree of ``obj`` at key ``path``; its arrays go into ``arrays`` by name (TypeError
    for what a checkpoint cannot hold)."""
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
            small = isinstance(key, int) and not isinstance(key, bool) and -KEY_INTS <= key < KEY_INTS
            if not (isinstance(key, str) or small):  # what load reads back (filecheck.is_key)
                raise TypeError(
                    f"mc.save: dict keys must be str or int (from -2**31 to 2**31 - 1), got "
                    f"{shown(key)} ({type(key).__name__}) at {where}"
                )
            items.append([key, encode(value, path + [key], arrays)])
        kind = "ordered" if isinstance(obj, collections.OrderedDict) else "dict"
        return {kind: items}
    if isinstance(obj, (list, tuple)):
        kind = "tuple" if isinstance(obj, tuple) else "list"
        return {kind: [encode(v, path + [i], arrays) for i, v in enumerate(obj)]}
    raise TypeError(
        f"mc.save: cannot store a {type(obj).__name__} at {where}; a checkpoint holds "
        "arrays, Tensors, numbers, strings, bools, None, and dicts, lists and tuples "
        "of them (use module.state_dict(), not the module)"
    )


def _add_array(array, path, arrays):
    array = backend.to_device(array, "cpu")
    if array.dtype.hasobject:
        raise TypeError(
            f"mc.save: array at {'/'.join(map(str, path))} has dtype object, which "
            "cannot be stored without pickle"
        )
    name = "/".join(str(p) for p in path) or "array"
    base, n = name, 1
    while name in arrays or name in (FORMAT_KEY, TREE_KEY):
        name, n = f"{base}#{n}", n + 1
    arrays[name] = array
    return name


def decode(node, arrays, taken):
    """The object of one structure node; ``taken`` holds the names of the arrays handed out.

    ``save`` stores each array under its own name, so a name the structure gives twice
    is refused: whoever uses the object takes each place on its own (``np.shape`` of a
    list makes an array of it, a message formats a scalar), so a thousand places naming
    one array would take a thousand times its size. A dict's keys are checked before the
    dict hashes them (``filecheck.is_key``).
    """
    if "tensor" in node:
        return _tensor(_take(node["tensor"], arrays, taken), node.get("requires_grad", False))
    ((kind, value),) = node.items()
    if kind == "value":
        return value
    if kind == "array":
        return _take(value, arrays, taken)
    if kind == "scalar":
        return _take(value, arrays, taken)[()]
    if kind in ("dict", "ordered"):
        pairs = [(k, v) for k, v in value]
        bad = next((k for k, _ in pairs if not is_key(k)), None)
        if bad is not None:
            got = f"{shown(bad)} ({type(bad).__name__})"
            raise ValueError(f"a dict key {got}, where mc.save writes str keys and int keys within 2**31")
        pairs = [(k, decode(v, arrays, taken)) for k, v in pairs]
        return collections.OrderedDict(pairs) if kind == "ordered" else dict(pairs)
    if kind in ("list", "tuple"):
        items = [decode(v, arrays, taken) for v in value]
        return tuple(items) if kind == "tuple" else items
    raise ValueError(f"unknown entry {shown(kind, 40)} in the checkpoint's structure")


def _tensor(array, requires_grad):
    """A Tensor of ``array``, refused where ``mc.tensor`` would refuse it (a file may hold anything)."""
    if not isinstance(requires_grad, bool):
        raise ValueError(
            f"a tensor whose requires_grad is {shown(requires_grad)}, where mc.save writes true or false"
        )
    if array.dtype.kind not in "biufc":
        raise ValueError(f"a tensor of dtype {array.dtype}, where a tensor holds numbers")
    if requires_grad and array.dtype.kind != "f":
        raise ValueError(
            f"a tensor of dtype {array.dtype} that requires grad, where only floating-point ones can"
        )
    return Tensor(array, requires_grad=requires_grad)


def _take(name, arrays, taken):
    if name in taken:
        raise ValueError(f"array {shown(name)} is named a second time, where mc.save names each once")
    taken.add(name)
    return arrays[name]
