"""Read PyTorch's ``.pth`` files with NumPy alone, safely.

Since PyTorch 1.6, ``torch.save`` writes a zip archive: ``<name>/data.pkl`` is
a pickle of the object, and every tensor's storage is a separate raw file
``<name>/data/<key>``. In the pickle a tensor appears as a call
``torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...)`` whose
storage is a "persistent id" naming its key, type and element count.

A file from elsewhere can neither run code nor read memory it does not own:

- the pickle goes through ``minicnn.safepickle``, admitting exactly the names a
  state dict needs (an OrderedDict, the rebuild functions, the storage types),
  as ``torch.load(weights_only=True)`` does, and only str, bytes and small ints
  as dict keys (``minicnn.pickle_kinds``); what the rebuild functions return
  refuses BUILD, so the pickle cannot set its fields to anything else, and the
  attributes BUILD sets on an OrderedDict (torch's ``_metadata``) are never read,
  even one named as a method, so no admitted function is called outside the pickle;
- each storage's entry must hold exactly its element count times the item size,
  and the pickle's objects, storages and tensors together must fit the read
  limit (``minicnn.io.read_limit()``) before they are made, read or copied: an
  OrderedDict counts its items each time it is built, as the pickle may build
  any number of them from one list of pairs;
- only stored or deflated entries are read, a chunk at a time and never past
  the size they claim, so an entry lying about its size cannot fill memory;
- a tensor that is its whole storage in C order (as most are) is the array read
  from the file, so a state dict takes its size in memory once; any other view
  is a copy, counted, and so is each further place one tensor object of the
  pickle appears (its array is shared, but whoever uses the state dict, or writes
  it out, takes each key's array on its own);
- each tensor's size, stride and offset are checked against its storage with
  Python's exact integers before any view is made: at most 64 dimensions, ints
  from 0 to 2**63 - 1 (checked before any product or message), and the furthest
  element it reaches, ``offset + sum((size_i - 1) * stride_i)``, inside the storage.

Every problem is a ``minicnn.io.CheckpointError`` with one line naming the file
and, for a tensor that does not fit, the tensor's key.
"""

import collections
import math
import os
import zipfile

import numpy as np

from .filecheck import INDEX_LIMIT, MAX_DIMS, check_claim, is_key, open_regular
from .io import _ZIP_ERRORS, CheckpointError
from .safepickle import Refused, RestrictedUnpickler, describe, shown
from .zip_limits import check_zip_directory, check_zip_methods, read_entry

_STORAGE_DTYPES = {
    "FloatStorage": "<f4",
    "DoubleStorage": "<f8",
    "HalfStorage": "<f2",
    "BFloat16Storage": "<u2",
    "LongStorage": "<i8",
    "IntStorage": "<i4",
    "ShortStorage": "<i2",
    "CharStorage": "i1",
    "ByteStorage": "u1",
    "BoolStorage": "?",
}
MAX_DEPTH = 32  # how deeply a .pth may nest dicts and lists around its tensors
# An OrderedDict's item: about 100 bytes in a small one, and as much again in the copy that
# holds arrays for tensors, with the (key, value) pair that copy is made from
_ITEM_BYTES = 256


class _StorageType:
    """Stands for ``torch.FloatStorage`` and kin: only named in a persistent id, never called."""

    def __init__(self, name):
        self.name = name

    def __call__(self, *args):
        raise Refused(f"the pickle calls torch.{self.name}, which a .pth never does")


class _Storage:
    __slots__ = ("key", "array", "lent")

    def __init__(self, key, array):
        self.key, self.array = key, array
        self.lent = False  # whether a tensor holds the array itself rather than a copy

    def __setstate__(self, state):  # BUILD would otherwise set any field
        raise Refused("the pickle tries to set the state of a storage")


class _Tensor:
    """A tensor as the pickle describes it; an array only once ``_Unpickler.array`` has checked it."""

    __slots__ = ("storage", "offset", "size", "stride")

    def __init__(self, storage, offset, size, stride):
        self.storage, self.offset, self.size, self.stride = storage, offset, size, stride

    def __setstate__(self, state):
        raise Refused("the pickle tries to set the state of a tensor")


def _rebuild_tensor_v2(storage, offset, size, stride, requires_grad=False, hooks=None, metadata=None):
    if not isinstance(storage, _Storage):
        raise Refused(f"a tensor whose storage is a {type(storage).__name__}")
    return _Tensor(storage, offset, size, stride)


def _rebuild_parameter(data, requires_grad=False, hooks=None, state=None):
    if not isinstance(data, _Tensor):
        raise Refused(f"a Parameter whose data is a {type(data).__name__}")
    return data


def bfloat16_to_float32(bits):
    """float32 of bfloat16 ``bits`` (uint16): a bfloat16 is the top half of a float32.

    The bits are widened to one new array and shifted up in place, so the only memory
    taken beside the 2 bytes a value read is the 4 bytes a value returned.
    """
    wide = bits.astype(np.uint32)
    wide <<= 16
    return wide.view(np.float32)


class _Unpickler(RestrictedUnpickler):
    admitted = {
        ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
        ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
        ("torch._utils", "_rebuild_parameter_with_state"): _rebuild_parameter,
        **{("torch", name): _StorageType(name) for name in _STORAGE_DTYPES},
    }
    refusal = "a .pth is read only for its tensors, parameters and dicts"

    def __init__(self, data, archive, prefix, path, held):
        super().__init__(data, CheckpointError, path, held=held)
        self.admitted = {**self.admitted, ("collections", "OrderedDict"): self._ordered_dict}
        self.archive, self.prefix, self.path = archive, prefix, path
        self.storages = {}

    def _ordered_dict(self, items=()):
        """``collections.OrderedDict(items)``, its items counted against the read limit."""
        if not isinstance(items, (list, tuple, dict)):
            raise Refused(f"an OrderedDict made from a {type(items).__name__}")
        self.claim(len(items) * _ITEM_BYTES, "its dicts")
        pairs = dict.items(items) if isinstance(items, dict) else items  # NOTE: see _with_arrays
        # the keys are checked before the dict hashes them (see minicnn.pickle_kinds)
        if not all(isinstance(p, (tuple, list)) and len(p) == 2 and is_key(p[0]) for p in pairs):
            raise Refused(
                "an OrderedDict made from items that are not (key, value) pairs of str or small int keys"
            )
        return collections.OrderedDict(pairs)

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage"):
            raise CheckpointError(f"{self.path}: unknown persistent id in the pickle")
        _, storage_type, key, _location, numel = pid
        kind = getattr(storage_type, "fn", None)
        if not isinstance(kind, _StorageType) or not isinstance(key, str) or type(numel) is not int:
            got = f"key {shown(key)}, {shown(numel)} elements"
            raise CheckpointError(f"{self.path}: malformed storage reference ({got})")
        if key not in self.storages:
            dtype = np.dtype(_STORAGE_DTYPES[kind.name])
            member = self.archive.getinfo(f"{self.prefix}data/{key}")
            if not 0 <= numel < INDEX_LIMIT or member.file_size != numel * dtype.itemsize:
                raise CheckpointError(
                    f"{self.path}: storage {shown(key, 40)} should hold {shown(numel)} x "
                    f"{dtype.itemsize} bytes, but its entry holds {member.file_size}"
                )
            bf16 = kind.name == "BFloat16Storage"
            # bfloat16 is read as 2 bytes, then widened to a float32 beside them
            self.claim(numel * (6 if bf16 else dtype.itemsize), f"storage {shown(key, 40)}")
            array = np.frombuffer(read_entry(self.archive, member, self.path), dtype=dtype)
            self.storages[key] = _Storage(key, bfloat16_to_float32(array) if bf16 else array)
        return self.storages[key]

    def array(self, t, name):
        """The checked copy of tensor ``t`` (named ``name`` in messages)."""
        storage, offset, size, stride = t.storage.array, t.offset, t.size, t.stride
        where = f"{self.path}: tensor {name}"
        if not (type(offset) is int and _ints(size) and _ints(stride) and len(size) == len(stride)):
            raise CheckpointError(f"{where} has a malformed offset, size or stride")
        if len(size) > MAX_DIMS:
            raise CheckpointError(
                f"{where} has {len(size)} dimensions, more than the {MAX_DIMS} a NumPy array has"
            )
        # NOTE: bounded before any product or message: a thousand references to one int of
        # thousands of digits would make math.prod run for minutes
        if not all(-INDEX_LIMIT < v < INDEX_LIMIT for v in (offset, *size, *stride)):
            raise CheckpointError(f"{where} has a size, stride or offset beyond 2**63 (torch's are int64)")
        shape = f"(size {tuple(size)}, stride {tuple(stride)}, offset {offset})"
        if offset < 0 or min(size, default=0) < 0 or min(stride, default=0) < 0:
            raise CheckpointError(f"{where} has a negative size, stride or offset {shape}")
        numel = math.prod(size)
        if numel == 0:
            if offset > storage.size:
                raise CheckpointError(
                    f"{where} starts past the end of its storage of {storage.size} elements {shape}"
                )
            try:
                return np.empty(size, storage.dtype)
            except (ValueError, OverflowError):
                raise CheckpointError(f"{where} has an impossible size {shape}") from None
        last = offset + sum((n - 1) * s for n, s in zip(size, stride))
        if last >= storage.size:
            raise CheckpointError(
                f"{where} reaches element {last} of storage {shown(t.storage.key, 40)}, which "
                f"holds {storage.size} {shape}"
            )
        if not t.storage.lent and numel == storage.size and _c_order(size, stride) and offset == 0:
            # the tensor is its storage, as most are: the array read from the file, no copy
            t.storage.lent = True
            return storage.reshape(size)
        self.claim(numel * storage.itemsize, f"tensor {name}")
        # a dimension of size 1 is never stepped along: its stride may be anything, so use 0
        strides = tuple(s * storage.itemsize if n > 1 else 0 for n, s in zip(size, stride))
        view = np.lib.stride_tricks.as_strided(storage[offset:], shape=tuple(size), strides=strides)
        return view.copy(order="C")


def _c_order(size, stride):
    """Whether ``stride`` steps through ``size`` in C order with no gaps (sizes of 1 step anyhow)."""
    step = 1
    for n, s in zip(reversed(size), reversed(stride)):
        if n > 1 and s != step:
            return False
        step *= n
    return True


def _ints(values):
    return isinstance(values, (tuple, list)) and all(type(v) is int for v in values)


def _with_arrays(obj, reader, path=(), done=None):
    """``obj`` with every tensor replaced by its checked array, named by its key path.

    ``path`` is the keys down to ``obj``, joined into a name only for a tensor or a message:
    joining it at every level would copy a long key once for each level below it.
    """
    done = {} if done is None else done
    if id(obj) in done:  # shared (memoized) objects are converted once
        result = done[id(obj)]
        if isinstance(result, np.ndarray):  # a tensor's array: counted again for each key holding it
            reader.claim(result.nbytes, f"tensor {_name(path)}, which appears again")
        return result
    if isinstance(obj, (set, frozenset)) and any(isinstance(v, _Tensor) for v in obj):
        raise CheckpointError(f"{reader.path}: tensors inside a set at {_name(path)}")
    if isinstance(obj, _Tensor):
        result = reader.array(obj, _name(path))
    elif isinstance(obj, (dict, list, tuple)):
        if len(path) >= MAX_DEPTH:
            raise CheckpointError(f"{reader.path}: nested more than {MAX_DEPTH} levels deep")
        # NOTE: dict's own items: BUILD may have set an attribute "items" on an OrderedDict (it sets
        # torch's _metadata so), to an admitted function; the copy made here has no attributes
        items = dict.items(obj) if isinstance(obj, dict) else enumerate(obj)
        pairs = [(k, _with_arrays(v, reader, (*path, k), done)) for k, v in items]
        result = type(obj)(pairs if isinstance(obj, dict) else (v for _, v in pairs))
    else:
        return obj
    done[id(obj)] = result
    return result


def _name(path):
    """The key path ``("features", 0, "weight")`` as "'features/0/weight'", at most 100 characters."""
    if not path:
        return "at the top level"
    # each key is one the pickle may make a dict key of: str, bytes or small int (pickle_kinds)
    parts = [str(k[:100] if isinstance(k, (str, bytes)) else k) for k in path[:100]]
    return repr("/".join(parts)[:100])


def _check_byteorder(archive, prefix, path):
    """torch writes storages in the machine's byte order and says which in ``byteorder``."""
    name = prefix + "byteorder"
    if name not in archive.namelist():
        return  # older files have none, and are little-endian
    member = archive.getinfo(name)
    if member.file_size > 16 or read_entry(archive, member, path).strip() != b"little":
        raise CheckpointError(f"{path}: its storages are not little-endian, which minicnn does not read")


def read_pth(path):
    """The object saved by ``torch.save`` (a state dict, typically), with NumPy arrays for tensors.

    Raises CheckpointError for anything wrong with the file, including PyTorch's
    legacy (pre-1.6, non-zip) format.
    """
    path = os.fspath(path)
    with open_regular(path, CheckpointError) as f:
        try:
            if not zipfile.is_zipfile(f):
                f.seek(0)
                if f.read(4) == b"PK\x03\x04":  # a zip's first entry, but no directory at the end
                    raise CheckpointError(
                        f"{path}: a zip file cut short or damaged (no directory at its end)"
                    )
                raise CheckpointError(
                    f"{path}: not a zip-format .pth file (PyTorch >= 1.6 writes "
                    "those); re-save it with a current torch, or convert it to "
                    ".safetensors"
                )
            directory = check_zip_directory(f, path)
            with zipfile.ZipFile(f) as archive:
                check_zip_methods(archive, path)
                pickles = [n for n in archive.namelist() if n.endswith("data.pkl")]
                if len(pickles) != 1:
                    raise CheckpointError(
                        f"{path}: expected one data.pkl in the archive, found {len(pickles)}"
                    )
                prefix = pickles[0][: -len("data.pkl")]
                _check_byteorder(archive, prefix, path)
                member = archive.getinfo(pickles[0])
                what = "its zip directory and data.pkl"
                check_claim(directory + member.file_size, what, path, CheckpointError)
                reader = _Unpickler(read_entry(archive, member, path), archive, prefix, path, directory)
                return _with_arrays(reader.load(), reader)
        except CheckpointError:
            raise
        except _ZIP_ERRORS as e:
            raise CheckpointError(
                f"{path}: not a readable .pth file (truncated or corrupt): {describe(e)}"
            ) from None
