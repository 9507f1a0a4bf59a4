"""Module: the base class of every layer and model, with PyTorch's semantics.

A Module keeps three ordered tables that plain assignment in ``__init__``
fills: ``_parameters`` (learned Parameters), ``_buffers`` (state that is not
learned, such as BatchNorm's running mean) and ``_modules`` (children). The
dotted names of ``named_parameters`` and ``state_dict`` (``features.0.weight``)
follow from them, so a state dict moves between minicnn and PyTorch unchanged.

A child also learns its own dotted name when it is registered (``_name``), so
a layer can say which layer it is when it rejects an input:
``ValueError: Linear at 'fc1': x has 100 features but weight expects 84 ...``
(its path in quotes, so that ``Linear(1)`` is not read as ``in_features=1``).
"""

import itertools

import numpy as np

from .. import backend, creation_args
from ..tensor import Tensor
from .module_hooks import HooksMixin
from .parameter import Parameter
from .state_dict import StateDictMixin, _is_array


class Module(HooksMixin, StateDictMixin):
    """Base class for layers and models: subclass it, assign layers and Parameters in
    ``__init__`` (after ``super().__init__()``), and write ``forward``."""

    _version = 1  # of the state dict's layout, as PyTorch records it (BatchNorm's is 2)

    def __init__(self):
        d = self.__dict__  # NOTE: not through __setattr__, which needs these tables
        d["training"] = True
        d["_parameters"] = {}
        d["_buffers"] = {}
        d["_non_persistent_buffers"] = set()
        d["_modules"] = {}
        d["_name"] = None  # dotted name inside the root module, set on registration
        self._init_hooks()

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} has no forward(); define it in the subclass")

    # --- registration -------------------------------------------------------
    def _check_name(self, name, table, what):
        if "_parameters" not in self.__dict__:
            raise AttributeError(
                f"cannot assign {what} before Module.__init__() call "
                f"(call super().__init__() first in {type(self).__name__})"
            )
        if not isinstance(name, str):
            raise TypeError(f"{what} name should be a string, got {type(name).__name__}")
        if name == "" or "." in name:
            raise KeyError(f'{what} name can\'t be empty or contain ".", got {name!r}')
        if hasattr(self, name) and name not in table:
            raise KeyError(f"attribute {name!r} already exists")

    def register_parameter(self, name, param):
        """Add a Parameter (or None, a declared but absent one such as ``bias=False``)."""
        self._check_name(name, self._parameters if "_parameters" in self.__dict__ else {}, "parameter")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"cannot assign {type(param).__name__} object to parameter {name!r} "
                "(minicnn.nn.Parameter or None required)"
            )
        self._parameters[name] = param

    def register_buffer(self, name, tensor, persistent=True):
        """Add state that is not learned (running statistics, counters).

        Stored as a Tensor that does not require grad, so ``module.name.data`` is
        the array. Persistent buffers are part of ``state_dict``.
        """
        self._check_name(name, self._buffers if "_buffers" in self.__dict__ else {}, "buffer")
        self._buffers[name] = self._as_buffer(name, tensor)
        if persistent:
            self._non_persistent_buffers.discard(name)
        else:
            self._non_persistent_buffers.add(name)

    @staticmethod
    def _as_buffer(name, value):
        if value is None or isinstance(value, Tensor):
            return value
        if _is_array(value):
            return Tensor(value)
        raise TypeError(
            f"cannot assign {type(value).__name__} object to buffer {name!r} "
            "(a Tensor, an array or None required)"
        )

    def add_module(self, name, module):
        """Add a child module under ``name`` (its parameters become ``name.*``)."""
        self._check_name(name, self._modules if "_modules" in self.__dict__ else {}, "module")
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        self._modules[name] = module
        if module is not None:
            module._set_name(f"{self._name}.{name}" if self._name else name)

    register_module = add_module

    def _set_name(self, name):
        """Name this module and, below it, every descendant (``features`` -> ``features.0``)."""
        self.__dict__["_name"] = name
        for child_name, child in self._modules.items():
            if child is not None and child is not self:
                child._set_name(f"{name}.{child_name}")

    def _label(self):
        """ "Linear at 'fc1'" once registered as a child, 'Linear' for a root: the start of an error."""
        return f"{type(self).__name__} at {self._name!r}" if self._name else type(self).__name__

    def _forget(self, name, keep=None):
        """Drop ``name`` from every table but ``keep``: a Parameter or module assigned over one
        of its own kind takes the old one's place in its table, so a Sequential keeps its
        order and state_dict its keys' order (as PyTorch does)."""
        self.__dict__.pop(name, None)
        for table in (self._parameters, self._buffers, self._modules):
            if table is not keep:
                table.pop(name, None)
        self._non_persistent_buffers.discard(name)

    def __setattr__(self, name, value):
        d = self.__dict__
        params, buffers, modules = d.get("_parameters"), d.get("_buffers"), d.get("_modules")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            self._forget(name, keep=params)
            self.register_parameter(name, value)
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(
                    f"cannot assign {type(value).__name__} as parameter {name!r} "
                    "(minicnn.nn.Parameter or None expected)"
                )
            params[name] = None
        elif isinstance(value, Module):
            if modules is None:
                raise AttributeError("cannot assign module before Module.__init__() call")
            self._forget(name, keep=modules)
            self.add_module(name, value)
        elif modules is not None and name in modules:
            if value is not None:
                raise TypeError(
                    f"cannot assign {type(value).__name__} as child module {name!r} "
                    "(a Module or None expected)"
                )
            modules[name] = None
        elif buffers is not None and name in buffers:
            buffers[name] = self._as_buffer(name, value)
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name):
        # only called when normal lookup fails: look in the three tables
        d = self.__dict__
        for table in ("_parameters", "_buffers", "_modules"):
            if table in d and name in d[table]:
                return d[table][name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __delattr__(self, name):
        d = self.__dict__
        for table in ("_parameters", "_buffers", "_modules"):
            if name in d.get(table, ()):
                del d[table][name]
                self._non_persistent_buffers.discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self):
        # parameters, buffers and children too, so a notebook's tab completion offers them
        return sorted({*super().__dir__(), *self._parameters, *self._buffers, *self._modules})

    # --- walking the tree ---------------------------------------------------
    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        """(dotted name, module) for this module ('') and every descendant, depth first."""
        memo = set() if memo is None else memo
        if self in memo:
            return
        if remove_duplicate:
            memo.add(self)
        yield prefix, self
        for name, module in self._modules.items():
            if module is not None:
                yield from module.named_modules(
                    memo, f"{prefix}.{name}" if prefix else name, remove_duplicate
                )

    def modules(self):
        for _, module in self.named_modules():
            yield module

    def named_children(self):
        seen = set()
        for name, module in self._modules.items():
            if module is not None and module not in seen:
                seen.add(module)
                yield name, module

    def children(self):
        for _, module in self.named_children():
            yield module

    def _named_members(self, table, prefix, recurse, remove_duplicate):
        seen = set()
        modules = (
            self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
            if recurse
            else [(prefix, self)]
        )
        for module_prefix, module in modules:
            for name, t in getattr(module, table).items():
                if t is None or id(t) in seen:
                    continue
                if remove_duplicate:
                    seen.add(id(t))  # NOTE: by id: Tensor's == is elementwise
                yield (f"{module_prefix}.{name}" if module_prefix else name), t

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        """(dotted name, Parameter) pairs; a parameter shared by two layers is listed once."""
        yield from self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse=True):
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix="", recurse=True, remove_duplicate=True):
        yield from self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse=True):
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def get_submodule(self, target):
        """The module at a dotted name (``model.get_submodule("features.0")``); '' is self."""
        module = self
        for part in target.split(".") if target else []:
            if part not in module._modules or module._modules[part] is None:
                raise AttributeError(f"{module._label()} has no submodule {part!r} (looking for {target!r})")
            module = module._modules[part]
        return module

    def _get_member(self, target, table, what):
        module_path, _, name = target.rpartition(".")
        module = self.get_submodule(module_path)
        if name not in getattr(module, table) or getattr(module, table)[name] is None:
            raise AttributeError(f"{module._label()} has no {what} {name!r} (looking for {target!r})")
        return getattr(module, table)[name]

    def get_parameter(self, target):
        """The Parameter at a dotted name (``model.get_parameter("features.0.weight")``)."""
        return self._get_member(target, "_parameters", "parameter")

    def get_buffer(self, target):
        """The buffer at a dotted name (``model.get_buffer("bn1.running_mean")``)."""
        return self._get_member(target, "_buffers", "buffer")

    def apply(self, fn):
        """Call ``fn(m)`` on every descendant, then on self (e.g. a custom initialisation)."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    # --- modes, devices, dtypes, gradients ----------------------------------
    def train(self, mode=True):
        """Training mode (dropout drops, BatchNorm uses batch statistics) for self and all below."""
        if not isinstance(mode, bool):
            raise ValueError(f"train(mode): mode must be a bool, got {mode!r}")
        self.training = mode
        for module in self.children():
            module.train(mode)
        return self

    def eval(self):
        """Evaluation mode: ``train(False)``."""
        return self.train(False)

    def _convert(self, fn, floating_only):
        """Replace each parameter's and buffer's array (and gradient) by ``fn(array)``, in place,
        so the Parameter objects an optimizer holds stay the same objects."""
        for module in self.modules():
            for t in itertools.chain(module._parameters.values(), module._buffers.values()):
                if t is None or (floating_only and t.data.dtype.kind != "f"):
                    continue
                t.data = fn(t.data)
                if t.grad is not None:
                    t.grad = Tensor(fn(t.grad.data))
        return self

    def to(self, device=None, dtype=None):
        """Move parameters and buffers to a device and/or cast the floating ones to a dtype.

        ``model.to("cuda")``, ``model.to(np.float64)``, ``model.to("cpu", "float32")``.
        """
        if device is not None and (not isinstance(device, str) or creation_args.names_dtype(device)):
            device, dtype = None, device  # model.to(np.float64), model.to("float64")
        if device is not None:  # a string that names no dtype: a device, checked before any cast
            creation_args.device_of("Module.to", device)
        if dtype is not None:
            try:
                dtype = np.dtype(dtype)
            except TypeError:
                raise ValueError(
                    f"Module.to: {dtype!r} is neither a device ('cpu', 'cuda') nor a dtype"
                ) from None
            if dtype.kind != "f":
                raise TypeError(f"Module.to only accepts floating-point dtypes, got {dtype}")
            if dtype.itemsize not in (4, 8):  # what every layer computes in (functional/checks.py)
                raise TypeError(f"Module.to: minicnn computes in float32 or float64, got {dtype}")
            self._convert(lambda a: a.astype(dtype, copy=False), floating_only=True)
        if device is not None:
            self._convert(lambda a: backend.to_device(a, device), floating_only=False)
        return self

    def cpu(self):
        return self.to("cpu")

    def cuda(self):
        return self.to("cuda")

    def double(self):
        """Cast floating parameters and buffers to float64 (for gradient checks)."""
        return self.to(dtype=np.float64)

    def float(self):
        """Cast floating parameters and buffers to float32."""
        return self.to(dtype=np.float32)

    def half(self):
        raise TypeError("Module.half: minicnn computes in float32 or float64; use .float() or .double()")

    def zero_grad(self, set_to_none=True):
        """Forget the gradients: ``.grad = None`` (or, with set_to_none=False, zeroed in place)."""
        for p in self.parameters():
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad.data[...] = 0  # in place, as PyTorch: a reference to .grad sees the zeros

    def requires_grad_(self, requires_grad=True):
        """Freeze (False) or unfreeze every parameter, e.g. a pretrained backbone."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    # --- printing -----------------------------------------------------------
    def extra_repr(self):
        """The text inside the parentheses of this module's line, e.g. 'in_features=4, ...'."""
        return ""

    def __repr__(self):
        extra = self.extra_repr()
        lines = extra.split("\n") if extra else []
        children = [
            f"({name}): " + repr(module).replace("\n", "\n  ") for name, module in self._modules.items()
        ]
        if len(lines) == 1 and not children:
            return f"{type(self).__name__}({lines[0]})"
        body = lines + children
        inner = "\n  " + "\n  ".join(body) + "\n" if body else ""
        return f"{type(self).__name__}({inner})"
