"""ParameterList and ParameterDict: Parameters held in a list or a dict and registered, as
PyTorch's, so that ``parameters()``, ``state_dict`` and ``to()`` see them.

A plain Python list of Parameters is invisible to the module that holds it (its optimizer
would get nothing); these register each entry on themselves, under "0", "1", ... or under
its key, which gives PyTorch's state-dict names (``scales.0``, ``heads.left``). A Tensor put
in is made a Parameter (sharing its array); anything else is kept as it is, unregistered.
"""

from __future__ import annotations

import collections
import operator
from collections.abc import Iterable, Mapping
from typing import Any

from ..tensor import Tensor
from .module import Module
from .parameter import Parameter


def _as_entry(value: Any) -> Any:
    """A Tensor that is not yet a Parameter becomes one; anything else stays as it is."""
    return Parameter(value) if isinstance(value, Tensor) and not isinstance(value, Parameter) else value


def _entries_repr(items: Iterable[tuple[Any, Any]]) -> str:
    """One line per entry, as PyTorch prints them: a Tensor's kind, dtype, size (and device
    where it is not the CPU), or an object's type."""
    lines = []
    for key, p in items:
        if isinstance(p, Tensor):
            size = "x".join(str(n) for n in p.shape)
            device = "" if p.device == "cpu" else f" ({p.device})"
            kind = "Parameter" if isinstance(p, Parameter) else "Tensor"
            lines.append(f"  ({key}): {kind} containing: [minicnn.{p.dtype.name} of size {size}{device}]")
        else:
            lines.append(f"  ({key}): Object of type: {type(p).__name__}")
    return "\n".join(lines)


class ParameterList(Module):
    """A list whose Parameters are registered, named "0", "1", ... (no forward).

    >>> import minicnn as mc
    >>> from minicnn import nn
    >>> scales = nn.ParameterList([mc.ones(3) for _ in range(2)])
    >>> [name for name, _ in scales.named_parameters()]
    ['0', '1']
    >>> scales
    ParameterList(
        (0): Parameter containing: [minicnn.float32 of size 3]
        (1): Parameter containing: [minicnn.float32 of size 3]
    )
    """

    def __init__(self, values: Iterable[Any] | None = None):
        super().__init__()
        self._size = 0
        if values is not None:
            self.extend(values)

    def _index(self, idx: Any) -> str:
        i = operator.index(idx)
        if not -len(self) <= i < len(self):
            raise IndexError(f"ParameterList: index {i} is out of range for {len(self)} entries")
        return str(i % len(self))

    def __getitem__(self, idx: Any) -> Any:
        if isinstance(idx, slice):
            return type(self)([self[i] for i in range(*idx.indices(len(self)))])
        return getattr(self, self._index(idx))

    def __setitem__(self, idx: Any, value: Any) -> None:
        setattr(self, self._index(idx), _as_entry(value))

    def __len__(self) -> int:
        return self._size

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __dir__(self):
        return [key for key in super().__dir__() if not key.isdigit()]

    def append(self, value: Any) -> ParameterList:
        """Add ``value`` at the end, under the next number."""
        self._size += 1
        self[self._size - 1] = value
        return self

    def extend(self, values: Iterable[Any]) -> ParameterList:
        """Append each of ``values`` (an iterable, not a Tensor), in order."""
        if not isinstance(values, Iterable) or isinstance(values, Tensor):
            raise TypeError(
                f"ParameterList.extend should be called with an iterable, but got {type(values).__name__}"
            )
        for value in values:
            self.append(value)
        return self

    __iadd__ = extend

    def __call__(self, *args, **kwargs):
        raise RuntimeError("ParameterList should not be called.")

    def extra_repr(self):
        return _entries_repr(enumerate(self))


class ParameterDict(Module):
    """A dict whose Parameters are registered under their keys (no forward), ordered as
    PyTorch's: by insertion, except that a plain ``dict`` given to the constructor or to
    ``update`` goes in sorted by key (an OrderedDict, a ParameterDict or pairs keep their order).

    >>> import minicnn as mc
    >>> from minicnn import nn
    >>> heads = nn.ParameterDict({"right": mc.zeros(2), "left": mc.zeros(2)})
    >>> list(heads.state_dict())
    ['left', 'right']
    """

    def __init__(self, parameters: Any = None):
        super().__init__()
        self._keys: dict[str, None] = {}
        if parameters is not None:
            self.update(parameters)

    def _check_key(self, key: Any) -> str:
        if not isinstance(key, str):
            raise TypeError(
                "Index given to ParameterDict cannot be used as a key as it is not a string "
                f"(type is '{type(key).__name__}')"
            )
        if key == "" or "." in key:
            raise KeyError(f"ParameterDict: a key must be a non-empty name without a dot, got {key!r}")
        if key not in self._keys and hasattr(self, key):
            raise KeyError(f"ParameterDict: key {key!r} would hide the attribute of that name")
        return key

    def __getitem__(self, key: str) -> Any:
        if key not in self._keys:
            raise KeyError(key)
        return getattr(self, key)

    def __setitem__(self, key: str, value: Any) -> None:
        setattr(self, self._check_key(key), _as_entry(value))
        self._keys[key] = None

    def __delitem__(self, key: str) -> None:
        if key not in self._keys:
            raise KeyError(key)
        del self._keys[key]
        delattr(self, key)

    def __len__(self) -> int:
        return len(self._keys)

    def __iter__(self):
        return iter(self._keys)

    def __reversed__(self):
        return reversed(self._keys)

    def __contains__(self, key: object) -> bool:
        return key in self._keys

    def keys(self):
        return self._keys.keys()

    def items(self):
        return ((k, self[k]) for k in self._keys)

    def values(self):
        return (self[k] for k in self._keys)

    def get(self, key: str, default: Any = None) -> Any:
        return self[key] if key in self else default

    def setdefault(self, key: str, default: Any = None) -> Any:
        """self[key], after putting ``default`` there if the key was absent."""
        if key not in self:
            self[key] = default
        return self[key]

    def pop(self, key: str) -> Any:
        value = self[key]
        del self[key]
        return value

    def popitem(self) -> tuple[str, Any]:
        """Remove and return the last (key, value) put in."""
        key = next(reversed(self._keys))
        return key, self.pop(key)

    def clear(self) -> None:
        for key in list(self._keys):
            del self[key]

    def copy(self) -> ParameterDict:
        """A new ParameterDict holding the same entries (the same Parameters), in order."""
        return ParameterDict(collections.OrderedDict(self.items()))

    def fromkeys(self, keys: Iterable[str], default: Any = None) -> ParameterDict:
        """A new ParameterDict with ``keys``, each holding ``default``."""
        return ParameterDict((k, default) for k in keys)

    def update(self, parameters: Any) -> None:
        """Put in the entries of a mapping or of an iterable of (key, value) pairs."""
        if not isinstance(parameters, Iterable):
            raise TypeError(
                "ParameterDict.update should be called with an iterable of key/value pairs, "
                f"but got {type(parameters).__name__}"
            )
        if isinstance(parameters, (collections.OrderedDict, ParameterDict)):
            pairs: Iterable[Any] = parameters.items()
        elif isinstance(parameters, Mapping):
            pairs = sorted(parameters.items())
        else:
            pairs = parameters
        for j, pair in enumerate(pairs):
            if not isinstance(pair, Iterable):
                raise TypeError(
                    f"ParameterDict update sequence element #{j} should be Iterable; is {type(pair).__name__}"
                )
            pair = tuple(pair)
            if len(pair) != 2:
                raise ValueError(
                    f"ParameterDict update sequence element #{j} has length {len(pair)}; 2 is required"
                )
            self[pair[0]] = pair[1]

    def __or__(self, other: ParameterDict) -> ParameterDict:
        joined = self.copy()
        joined.update(other)
        return joined

    def __ror__(self, other: ParameterDict) -> ParameterDict:
        joined = other.copy()
        joined.update(self)
        return joined

    def __ior__(self, other: ParameterDict) -> ParameterDict:
        self.update(other)
        return self

    def __call__(self, *args, **kwargs):
        raise RuntimeError("ParameterDict should not be called.")

    def extra_repr(self):
        return _entries_repr(self.items())
