"""Values between the grader and the child process that runs a submission, as .npz files.

A value (the arguments of one call, or what the student's function returned) becomes one
.npz: a JSON tree (entry "tree") with its arrays beside it ("a0", "a1", ...). The grader
reads the child's files with ``io.read_npz``: no pickle, so reading one cannot run code,
and every array's size is checked before it is allocated.

The grader writes and reads its files through its folder's descriptor (``dir_fd``), each name
made anew and no link followed: the submission, running as the same user, may put a link or a
FIFO in the folder, and the grader must neither write through it (into its own output, say,
as ``/proc/self/fd/1``) nor wait on it.

A function can return anything. What has no safe form (a Tensor, a generator, an array of
Python objects) comes back as a stand-in: an object of a class with the same module and
name, whose repr is the original's (on one line, cut short, control characters escaped), so
that the grader's messages ("gx is a minicnn Tensor; return a NumPy array") read as they
would in one process.
"""

import json
import math
import os
import re

import numpy as np

from ..filecheck import index_problem
from ..io import read_npz
from .comparing import one_line

TREE = "tree"
DEPTH = 32  # no exercise's answer nests deeper; a list that holds itself would never end
OBJECTS = 10**6  # an array of Python objects comes back as that many Nones, at most
KEY_INT = 2**31  # a dict key's ints stay below this: ints that all hash alike make a dict slow to build


class Foreign:
    """A stand-in for an object the child could not send as it is."""

    def __init__(self, text):
        self._text = text

    def __repr__(self):
        return self._text


def write(path, value, dir_fd=None):
    """``value`` into the .npz ``path`` (a name ending in .npz). With ``dir_fd``, ``path`` is a
    name in the folder open as ``dir_fd``, and a new file is made there: a file, link or FIFO
    already of that name is an OSError (FileExistsError), never written through."""
    arrays = []
    tree = _encode(value, arrays, 0)
    entries = {TREE: np.asarray(json.dumps(tree)), **{f"a{i}": a for i, a in enumerate(arrays)}}
    if dir_fd is None:
        np.savez(path, **entries)
        return
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600, dir_fd=dir_fd)
    with os.fdopen(fd, "wb") as f:
        np.savez(f, **entries)


def read(path, dir_fd=None):
    """The value ``write`` stored in ``path``. Raises ValueError (io.CheckpointError among them)
    for a file that is not one. With ``dir_fd``, ``path`` is a name in the folder open as
    ``dir_fd``, and a link there is refused, not followed."""
    arrays = read_npz(path, who="the grader", dir_fd=dir_fd)
    tree = arrays.pop(TREE, None)
    if tree is None or tree.ndim != 0 or tree.dtype.kind != "U":
        raise ValueError(f"{path} holds no tree of values")
    try:
        return _decode(json.loads(str(tree)), arrays, set())
    except (KeyError, TypeError, IndexError, AttributeError, RecursionError) as err:
        raise ValueError(f"{path} holds a damaged tree of values ({type(err).__name__})") from None


def _encode(value, arrays, depth):
    if depth > DEPTH:
        return _foreign(value)
    if value is None or isinstance(value, str):
        return None if value is None else str(value)
    if isinstance(value, np.ndarray):
        if value.dtype.hasobject:
            return {"objects": [int(n) for n in value.shape]}
        arrays.append(np.asarray(value))
        return {"array": len(arrays) - 1}
    if isinstance(value, np.generic):
        if value.dtype.hasobject:
            return _foreign(value)
        arrays.append(np.asarray(value))
        return {"scalar": len(arrays) - 1}
    for kind in (bool, int, float):  # JSON keeps each as it is (NaN and Infinity too)
        if isinstance(value, kind):
            return kind(value)
    if isinstance(value, complex):
        return {"complex": [value.real, value.imag]}
    if isinstance(value, (list, tuple)):
        kind = "tuple" if isinstance(value, tuple) else "list"
        return {kind: [_encode(v, arrays, depth + 1) for v in value]}
    if isinstance(value, dict):
        return {
            "dict": [[_encode(k, arrays, depth + 1), _encode(v, arrays, depth + 1)] for k, v in value.items()]
        }
    return _foreign(value)


def _foreign(value):
    kind = type(value)
    try:
        text = repr(value)
    except Exception:  # a __repr__ that raises
        text = f"<{kind.__name__} object>"
    text = text if len(text) <= 80 else text[:77] + "..."
    return {"foreign": [str(getattr(kind, "__module__", "")), kind.__name__, text]}


def _decode(node, arrays, used):
    """The value of one node of the tree; ``used``: the arrays already given out, each of which
    ``write`` refers to once (a file naming one many times would multiply it in the grader)."""
    if node is None or isinstance(node, (bool, int, float, str)):
        return node
    ((kind, value),) = node.items()
    if kind in ("array", "scalar"):
        name = f"a{int(value)}"
        if name in used:
            raise ValueError(f"array {name} is referred to a second time, where write refers to each once")
        used.add(name)
        return arrays[name] if kind == "array" else arrays[name][()]
    if kind == "list":
        return [_decode(v, arrays, used) for v in value]
    if kind == "tuple":
        return tuple(_decode(v, arrays, used) for v in value)
    if kind == "dict":
        pairs = [(_decode(k, arrays, used), _decode(v, arrays, used)) for k, v in value]
        for k, _ in pairs:
            _check_key(k)
        return dict(pairs)
    if kind == "complex":
        return complex(float(value[0]), float(value[1]))
    if kind == "objects":
        problem = index_problem(value)
        if problem or math.prod(value) > OBJECTS:
            return _stand_in("numpy", "ndarray", "<an array of Python objects>")
        return np.empty(tuple(value), dtype=object)
    if kind == "foreign":
        return _stand_in(*(str(v) for v in value))
    raise KeyError(kind)


def _check_key(key):
    """A dict key as an answer holds them: str, bool, None, an int or float below KEY_INT in size,
    or a tuple of these; else ValueError, before the dict is built."""
    if isinstance(key, tuple):
        for k in key:
            _check_key(k)
    elif isinstance(key, (int, float)) and not isinstance(key, bool):
        if not abs(key) < KEY_INT:  # NaN too
            raise ValueError("a dict key holds a number of 2**31 or more in size, or NaN")
    elif not (key is None or isinstance(key, (str, bool))):
        raise ValueError(f"a dict key is a {type(key).__name__}, where write keeps str, numbers and tuples")


def _stand_in(module, name, text):
    """An object whose type has the module and name given, and whose repr is ``text``."""
    module = re.sub(r"[^\w.]", "_", module)[:80]
    name = re.sub(r"\W", "_", name)[:80] or "object"
    return type(name, (Foreign,), {"__module__": module})(one_line(text, 80))
