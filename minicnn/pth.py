"""Read PyTorch's ``.pth`` files with NumPy alone.

Since PyTorch 1.6, ``torch.save`` writes a zip archive: ``<name>/data.pkl`` is
a pickle of the object, and every tensor's storage is a separate raw file
``<name>/data/<key>``. In the pickle a tensor appears as a call
``torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...)`` whose
storage is a "persistent id" naming its key and type.

The unpickler below allows exactly those few names (an OrderedDict, the
rebuild functions, the storage types) and refuses any other, so a file cannot
run code, as ``torch.load(weights_only=True)`` refuses it.
"""
import collections
import pickle
import zipfile

import numpy as np

_STORAGE_DTYPES = {
    "FloatStorage": "<f4", "DoubleStorage": "<f8", "HalfStorage": "<f2",
    "BFloat16Storage": "bfloat16", "LongStorage": "<i8", "IntStorage": "<i4",
    "ShortStorage": "<i2", "CharStorage": "i1", "ByteStorage": "u1", "BoolStorage": "?",
}


class _StorageType:
    def __init__(self, name):
        self.name = name


def _rebuild_tensor_v2(storage, offset, size, stride, requires_grad=False, hooks=None,
                       metadata=None):
    """The tensor viewing ``storage`` from ``offset`` with ``size`` and ``stride`` (in elements)."""
    if not size:
        return np.array(storage[offset])          # a 0-d array, as a 0-d tensor
    view = np.lib.stride_tricks.as_strided(
        storage[offset:], shape=tuple(size), strides=tuple(s * storage.itemsize for s in stride))
    return np.ascontiguousarray(view)


def _rebuild_parameter(data, requires_grad=False, hooks=None, state=None):
    return data


_ALLOWED = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    ("torch._utils", "_rebuild_parameter_with_state"): _rebuild_parameter,
}


def _bfloat16_to_float32(raw):
    """bfloat16 is the top half of a float32: shift its 16 bits up."""
    return (np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16).view(np.float32)


class _Unpickler(pickle.Unpickler):
    def __init__(self, file, archive, prefix):
        super().__init__(file)
        self.archive, self.prefix, self.storages = archive, prefix, {}

    def find_class(self, module, name):
        if module == "torch" and name in _STORAGE_DTYPES:
            return _StorageType(name)
        if (module, name) in _ALLOWED:
            return _ALLOWED[(module, name)]
        raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a .pth file: "
                                     "only tensors, parameters and dicts are read")

    def persistent_load(self, pid):
        kind, storage_type, key, _location, _numel = pid
        if kind != "storage":
            raise pickle.UnpicklingError(f"unknown persistent id {kind!r}")
        if key not in self.storages:
            name = storage_type.name if isinstance(storage_type, _StorageType) else str(storage_type)
            if name not in _STORAGE_DTYPES:
                raise pickle.UnpicklingError(f"unsupported storage type {name!r}")
            raw = self.archive.read(f"{self.prefix}data/{key}")
            dtype = _STORAGE_DTYPES[name]
            self.storages[key] = (_bfloat16_to_float32(raw) if dtype == "bfloat16"
                                  else np.frombuffer(raw, dtype=dtype))
        return self.storages[key]


def read_pth(path):
    """The object saved by ``torch.save`` (a state dict, typically), with NumPy arrays for tensors.

    Raises ValueError for files in PyTorch's legacy (pre-1.6, non-zip) format.
    """
    if not zipfile.is_zipfile(path):
        raise ValueError(f"{path}: not a zip-format .pth file (PyTorch >= 1.6 writes those); "
                         "re-save it with a current torch, or convert it to .safetensors")
    with zipfile.ZipFile(path) as archive:
        pickles = [n for n in archive.namelist() if n.endswith("data.pkl")]
        if len(pickles) != 1:
            raise ValueError(f"{path}: expected one data.pkl in the archive, found {len(pickles)}")
        prefix = pickles[0][:-len("data.pkl")]
        with archive.open(pickles[0]) as f:
            return _Unpickler(f, archive, prefix).load()
