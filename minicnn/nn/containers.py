"""Containers: Sequential (a pipeline), ModuleList and ModuleDict (registered collections).

A plain Python list of layers is invisible to ``parameters()`` and ``state_dict``;
these containers register each entry as a child, named "0", "1", ... or by key,
which gives the keys PyTorch uses (``features.0.weight``).
"""

import collections
import operator

from .module import Module


def _index(i, n, what):
    i = operator.index(i)
    if not -n <= i < n:
        raise IndexError(f"{what}: index {i} is out of range for {n} modules")
    return i % n


class _Numbered(Module):
    """Children named "0", "1", ... in order: what Sequential and ModuleList share."""

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, module):
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules):
        for module in modules:
            self.append(module)
        return self

    __iadd__ = extend  # seq += [layer]

    def _renumber(self, modules):
        """Hold ``modules`` as the children "0", "1", ..., as PyTorch renumbers after a
        deletion or an insertion (a Sequential's own names go too)."""
        self._modules.clear()
        self.extend(modules)

    def __delitem__(self, idx):
        """``del seq[-1]``, ``del seq[2:]``: drop those children, renumber the rest."""
        values = list(self._modules.values())
        if isinstance(idx, slice):
            del values[idx]
        else:
            del values[_index(idx, len(values), type(self).__name__)]
        self._renumber(values)

    def pop(self, idx=-1):
        """Remove the child at ``idx`` and return it."""
        module = list(self._modules.values())[_index(idx, len(self), type(self).__name__)]
        del self[idx]
        return module

    def insert(self, index, module):
        """Put ``module`` before position ``index`` (as list.insert), renumbering the rest."""
        values = list(self._modules.values())
        values.insert(operator.index(index), module)
        self._renumber(values)
        return self

    def __add__(self, other):
        """A new container of both's children, in order."""
        if not isinstance(other, type(self)):
            return NotImplemented
        joined = type(self)()
        return joined.extend([*self, *other])


class Sequential(_Numbered):
    """Modules applied one after another: ``Sequential(conv, relu, pool)`` or
    ``Sequential(OrderedDict(conv1=..., relu1=...))`` to name them."""

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], collections.OrderedDict):
            for name, module in modules[0].items():
                self.add_module(name, module)
        else:
            for i, module in enumerate(modules):
                self.add_module(str(i), module)

    def forward(self, x):
        for module in self:
            x = module(x)
        return x

    def __getitem__(self, idx):
        items = list(self._modules.items())
        if isinstance(idx, slice):  # keeps the names, as PyTorch does
            return type(self)(collections.OrderedDict(items[idx]))
        return items[_index(idx, len(items), "Sequential")][1]

    def __setitem__(self, idx, module):
        """Replace a layer in place, e.g. a new classifier head for fine-tuning."""
        key = list(self._modules)[_index(idx, len(self), "Sequential")]
        self.add_module(key, module)

    def __mul__(self, n):
        """``Sequential(block) * 3``: a new Sequential holding the same modules n times over
        (the same objects, so the copies share their parameters, as in PyTorch)."""
        if not isinstance(n, int) or isinstance(n, bool):
            return NotImplemented
        if n <= 0:
            raise ValueError(f"Sequential * n: n must be positive, got {n}")
        return Sequential().extend(list(self) * n)

    __rmul__ = __mul__

    def __imul__(self, n):
        """``seq *= 3``: this Sequential's modules repeated n times, in place."""
        repeated = self * n
        if repeated is NotImplemented:
            return NotImplemented
        self._renumber(list(repeated))
        return self


class ModuleList(_Numbered):
    """A list of modules whose parameters are registered (names "0", "1", ...); no forward."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __getitem__(self, idx):
        values = list(self._modules.values())
        if isinstance(idx, slice):
            return type(self)(values[idx])
        return values[_index(idx, len(values), "ModuleList")]

    def __setitem__(self, idx, module):
        self.add_module(str(_index(idx, len(self), "ModuleList")), module)

    def __repr__(self):
        """As PyTorch: a run of children that print alike is one line, ``(0-2): 3 x Linear(...)``."""
        if not self._modules:
            return "ModuleList()"
        runs = []  # [first index, last index, text]
        for i, module in enumerate(self):
            text = repr(module)
            if runs and runs[-1][2] == text:
                runs[-1][1] = i
            else:
                runs.append([i, i, text])
        lines = [
            (f"({a}): {t}" if a == b else f"({a}-{b}): {b - a + 1} x {t}").replace("\n", "\n  ")
            for a, b, t in runs
        ]
        return "ModuleList(\n  " + "\n  ".join(lines) + "\n)"


class ModuleDict(Module):
    """A dict of modules whose parameters are registered under their keys; no forward."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key):
        return self._modules[key]

    def __setitem__(self, key, module):
        self.add_module(key, module)

    def __delitem__(self, key):
        del self._modules[key]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def __contains__(self, key):
        return key in self._modules

    def keys(self):
        return self._modules.keys()

    def items(self):
        return self._modules.items()

    def values(self):
        return self._modules.values()

    def pop(self, key):
        return self._modules.pop(key)

    def clear(self):
        """Remove every module (their parameters leave the state dict with them)."""
        self._modules.clear()

    def update(self, modules):
        pairs = modules.items() if hasattr(modules, "items") else modules
        for key, module in pairs:
            self[key] = module
