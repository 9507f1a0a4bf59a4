"""state_dict / load_state_dict: a Module's arrays by PyTorch's dotted key names.

Kept apart from module.py (the tree of parameters, buffers and children) since
this is the one part that speaks to files and to other frameworks.
"""

import collections

import numpy as np

from .. import backend
from ..tensor import Tensor

IncompatibleKeys = collections.namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


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
        goes on); ``keep_vars=True`` gives the Tensors themselves.
        """
        out = collections.OrderedDict() if destination is None else destination
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
        """
        own = self.state_dict(keep_vars=True)
        # NOTE: checkpoints from before BatchNorm counted its batches (older PyTorch, or
        # dicts rebuilt without that key) lack num_batches_tracked: PyTorch then sets it to
        # 0 rather than refusing the file, and so does this
        uncounted = [k for k in own if k not in state_dict and k.rpartition(".")[2] == "num_batches_tracked"]
        missing = [k for k in own if k not in state_dict and k not in uncounted]
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
        for key in uncounted:
            own[key].zero_()
        return IncompatibleKeys(missing, unexpected)


def _numpy_copy(array):
    return array.get() if backend.is_cupy_array(array) else array.copy()
