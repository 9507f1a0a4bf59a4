"""state_dict / load_state_dict: a Module's arrays by PyTorch's dotted key names.

Kept apart from module.py (the tree of parameters, buffers and children) since
this is the one part that speaks to files and to other frameworks.
"""

import collections
import os
from collections.abc import Mapping

import numpy as np

from .. import backend
from ..functional.checks import type_name
from ..tensor import Tensor


class IncompatibleKeys(collections.namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What ``load_state_dict`` returns: the keys it missed and the keys it did not use."""

    __slots__ = ()

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"  # PyTorch's words
        return super().__repr__()

    __str__ = __repr__


def _kind(dtype):
    """float / int / bool: the dtype distinctions that a state-dict load refuses to cross."""
    return {"f": "float", "i": "int", "u": "int", "b": "bool"}.get(np.dtype(dtype).kind, str(dtype))


def _is_array(value):
    return isinstance(value, np.ndarray) or backend.is_cupy_array(value)


class StateDictMixin:
    """Module's state dict methods; relies on its _parameters, _buffers and _modules tables."""

    def state_dict(self, destination=None, prefix="", keep_vars=False):
        """An OrderedDict of parameters and persistent buffers under PyTorch's key names.

        Values are NumPy copies (so a saved "best" state does not change as training
        goes on); ``keep_vars=True`` gives the Tensors themselves. As PyTorch's, the dict
        carries ``_metadata``, each module's layout version by its dotted name (a plain
        dict rebuilt from it does not).
        """
        out = collections.OrderedDict() if destination is None else destination
        if destination is None:
            out._metadata = collections.OrderedDict()
        if hasattr(out, "_metadata"):
            out._metadata[prefix[:-1]] = {"version": self._version}
        for name, t in self._parameters.items():
            if t is not None:
                out[prefix + name] = t if keep_vars else _numpy_copy(t.data)
        for name, t in self._buffers.items():
            if t is not None and name not in self._non_persistent_buffers:
                out[prefix + name] = t if keep_vars else _numpy_copy(t.data)
        for name, module in self._modules.items():
            if module is not None:
                module.state_dict(out, f"{prefix}{name}.", keep_vars)
        return out

    def load_state_dict(self, state_dict, strict=True):
        """Copy arrays from ``state_dict`` into this module's parameters and buffers.

        Checks every key first and copies nothing unless all agree: one RuntimeError
        lists every missing key and unexpected key (when ``strict``) and every key
        whose shape differs (always, with both shapes) or whose kind of dtype differs
        (float / int / bool). Floats of another precision are cast, as PyTorch does.
        Returns ``(missing_keys, unexpected_keys)``.

        A BatchNorm's ``num_batches_tracked`` may be missing from a dict that does not say
        it was saved from BatchNorm's version 2 on (checkpoints from before the layer
        counted its batches, and any plain dict): the count then stays as it is, as in
        PyTorch. A dict from ``state_dict()`` says so, and lacking it is a missing key.
        """
        if not isinstance(state_dict, Mapping):
            raise _not_a_state_dict(self, state_dict)
        own = self.state_dict(keep_vars=True)
        metadata = getattr(state_dict, "_metadata", None)
        missing = [k for k in own if k not in state_dict and not self._uncounted_may_be_missing(k, metadata)]
        unexpected = [k for k in state_dict if k not in own]
        errors, copies = [], []
        for key, t in own.items():
            if key not in state_dict:
                continue
            value = state_dict[key]
            value = value.data if isinstance(value, Tensor) else value
            value = value if _is_array(value) else np.asarray(value)
            if tuple(value.shape) != t.shape:
                errors.append(
                    f"size mismatch for {key}: copying a param with shape "
                    f"{tuple(value.shape)} from checkpoint, the shape in current "
                    f"model is {t.shape}."
                )
            elif _kind(value.dtype) != _kind(t.dtype):
                errors.append(
                    f"dtype mismatch for {key}: the checkpoint holds {value.dtype}, the model {t.dtype}."
                )
            elif not getattr(t.data.flags, "writeable", True):  # (a CuPy array has no such flag)
                errors.append(
                    f"{key} is read-only (mc.from_numpy of a read-only array): nothing can be copied in."
                )
            else:
                copies.append((t, value))
        if strict and unexpected:
            errors.insert(
                0, "Unexpected key(s) in state_dict: " + ", ".join(f'"{k}"' for k in unexpected) + "."
            )
        if strict and missing:
            errors.insert(0, "Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing) + ".")
        if errors:
            raise RuntimeError(
                f"Error(s) in loading state_dict for {type(self).__name__}:\n\t" + "\n\t".join(errors)
            )
        for t, value in copies:
            t.data[...] = backend.to_device(value, t.device)  # casts as PyTorch's copy_ does
            t._changed_in_place()
        return IncompatibleKeys(missing, unexpected)

    def _uncounted_may_be_missing(self, key, metadata):
        """Whether ``key`` is a num_batches_tracked that the dict may lack: the module's layout
        added it (version 2) after the version the dict says it was saved at, or it says none."""
        prefix, _, name = key.rpartition(".")
        if name != "num_batches_tracked" or self.get_submodule(prefix)._version < 2:
            return False
        saved = metadata.get(prefix) if isinstance(metadata, Mapping) else None
        version = saved.get("version") if isinstance(saved, Mapping) else None
        return version is None or version < 2


def _not_a_state_dict(module, value):
    """The TypeError for a load_state_dict given something other than a dict, with the fix
    for the usual two: a file's path (load it first) and a model (pass its state_dict())."""
    minicnns = type(value).__module__.startswith("minicnn.")
    what = "None" if value is None else type(value).__name__ if minicnns else type_name(value)
    if isinstance(value, (str, os.PathLike)):
        path = os.fspath(value)
        reader = (
            "mc.weights.load_torchvision"
            if os.path.splitext(path)[1].lower() in (".pth", ".pt", ".bin", ".safetensors")
            else "mc.load"
        )
        what, hint = f"{what} {path!r}", f"; load the file first: load_state_dict({reader}({path!r}))"
    elif hasattr(value, "state_dict"):
        hint = "; pass its state_dict(): load_state_dict(other.state_dict())"
    else:
        hint = ""
    return TypeError(
        f"{type(module).__name__}.load_state_dict: expected a dict of names to arrays "
        f"(a state_dict), got {what}{hint}"
    )


def _numpy_copy(array):
    return array.get() if backend.is_cupy_array(array) else array.copy()
