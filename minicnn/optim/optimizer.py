"""Optimizer: parameter groups, per-parameter state and state dicts laid out as PyTorch's.

An optimizer holds ``param_groups``, a list of dicts each with its own
``params`` and hyperparameters (``lr``, ``momentum`` ...), so one model can
train its backbone and its new head at different rates, and ``state``, a dict
from each parameter to its buffers (momentum, Adam's moments, the step count).

``state_dict()`` names parameters by their position, counted across groups
(0, 1, 2 ...), as PyTorch does, so it can be loaded into a fresh optimizer
built over the same parameters in the same order.
"""

import collections
import copy
import functools
import math
import numbers

import numpy as np

from .. import backend, in_place
from ..functional.checks import type_name
from ..tensor import Tensor, no_grad


class _Required:
    def __repr__(self):
        return "<required parameter>"


required = _Required()


def real_setting(owner, name, value):
    """``value`` if it is a real number (a NumPy one too); a one-value Tensor or array as its
    float; else a TypeError naming ``owner``: "SGD: lr must be a real number, got str '0.1'".

    A bool is refused, though PyTorch takes True as 1: it is a flag given in a number's place.
    PyTorch also keeps a Tensor lr as it is, for its compiled steps; minicnn has none, so it
    stores the float, and a schedule sets floats there as for any other lr.
    """
    if isinstance(value, Tensor) or _is_array(value):
        array = value.data if isinstance(value, Tensor) else value
        if array.size == 1 and array.dtype.kind in "fiu":
            return float(array.reshape(()).item())
    elif isinstance(value, numbers.Real) and not isinstance(value, bool):
        return value
    raise TypeError(f"{owner}: {name} must be a real number, got {_shown(value)}")


def check_setting(owner, name, value, message=None, below=None):
    """``value`` as ``real_setting`` gives it, refused where it is NaN, infinite, negative or
    (if given) not ``< below``, in PyTorch's words: ``check_setting("SGD", "lr", nan, "Invalid
    learning rate")`` -> "SGD: Invalid learning rate: nan; expected a finite number >= 0".
    NaN fails every comparison, so ``lr < 0`` alone would let it through. Without a
    ``message`` any real number is taken (SGD's dampening, as PyTorch)."""
    number = real_setting(owner, name, value)
    if message is not None and (
        not math.isfinite(number) or number < 0 or (below is not None and number >= below)
    ):
        expected = f"in [0, {below:g})" if below is not None else ">= 0"
        raise ValueError(f"{owner}: {message}: {number}; expected a finite number {expected}")
    return number


def check_betas(owner, betas):
    """Adam's (beta1, beta2) as a tuple, each in [0, 1); a pair of anything else is refused
    here, where PyTorch takes (0.9, 0.99, 0.9) and fails at its first step."""
    if isinstance(betas, (str, bytes)) or not hasattr(betas, "__len__"):
        raise TypeError(f"{owner}: betas must be a pair (beta1, beta2) of numbers, got {_shown(betas)}")
    if len(betas) != 2:
        raise ValueError(
            f"{owner}: betas must be a pair (beta1, beta2) of numbers, got {len(betas)} of them: "
            f"{_shown(betas)}"
        )
    return tuple(
        check_setting(owner, f"betas[{i}]", b, f"Invalid beta parameter at index {i}", below=1.0)
        for i, b in enumerate(betas)
    )


def _shown(value):
    """A setting as an error shows it: its type, and its value where that is short."""
    if value is None:
        return "None"
    if isinstance(value, Tensor) or _is_array(value):
        return f"{type(value).__name__} of shape {tuple(value.shape)}"
    text = repr(value)
    return type_name(value) + (f" {text}" if len(text) <= 40 else "")


def _is_array(value):
    """A NumPy or CuPy array (not a Tensor, nor another library's tensor, whose dtype is its own)."""
    return (
        hasattr(value, "shape")
        and hasattr(getattr(value, "dtype", None), "kind")
        and not isinstance(value, Tensor)
    )


class Optimizer:
    """Base class: subclasses give ``defaults`` and write ``_update(group)``.

    ``state`` maps each parameter to the dict of its buffers, an empty one before its first
    step (a ``defaultdict(dict)``, as PyTorch's). Each setting named in ``checks`` is checked
    where it is given, in the defaults or in a param group: a real number (a one-value Tensor
    is taken as its float), finite and >= 0 where PyTorch's words for a bad one are given.
    """

    # a setting -> PyTorch's words for a bad value (None: any real number); "betas": a pair
    checks: dict = {}

    def __init_subclass__(cls, **kwargs):
        """A subclass's own ``step()`` (PyTorch's way to write an optimizer) also marks the
        optimizer as stepped, so a schedule can tell whether it is stepped before it."""
        super().__init_subclass__(**kwargs)
        if "step" in cls.__dict__:
            cls.step = _marks_stepped(cls.__dict__["step"])

    def __init__(self, params, defaults):
        self.defaults = self._checked(defaults)
        self.state = collections.defaultdict(dict)  # Parameter -> dict of its buffers (by the object)
        self.param_groups = []
        if isinstance(params, Tensor):
            raise TypeError(
                "params given to an optimizer must be an iterable of Tensors or of "
                "dicts, got a single Tensor; pass [tensor] or model.parameters()"
            )
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, param_group):
        """Add a group, e.g. a newly unfrozen layer with its own ``lr``.

        Settings the group leaves out take the optimizer's defaults.
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"a param group must be a dict, got {type(param_group).__name__}")
        group = self._checked(param_group)
        params = group["params"]
        params = [params] if isinstance(params, Tensor) else list(params)
        if params and all(isinstance(p, tuple) and len(p) == 2 and isinstance(p[0], str) for p in params):
            # model.named_parameters(), as PyTorch takes it: the names go into the state dict
            group["param_names"] = [name for name, _ in params]
            params = [p for _, p in params]
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(
                    f"optimizer can only optimize Tensors, but one of the params is {type(p).__name__}"
                )
            if not p.is_leaf:
                raise ValueError(
                    "can't optimize a non-leaf Tensor (one made by an op); "
                    "optimize the leaves it was computed from"
                )
        group["params"] = params
        for key, value in self.defaults.items():
            if value is required and key not in group:
                raise ValueError(
                    f"parameter group didn't specify a value of required optimization parameter {key}"
                )
            group.setdefault(key, value)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        ids = [id(p) for p in params]
        if len(set(ids)) != len(ids) or seen.intersection(ids):
            raise ValueError(
                "some parameters appear more than once (in one group or in two); "
                "each would then be stepped twice"
            )
        self.param_groups.append(group)

    def zero_grad(self, set_to_none=True):
        """Forget the gradients before the next backward (``.grad = None``)."""
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none:
                    p.grad = None
                elif p.grad is not None:
                    p.grad.data[...] = 0  # in place, as PyTorch: a reference to .grad sees the zeros

    def step(self, closure=None):
        """Update every parameter that has a gradient.

        ``closure`` (optional) re-evaluates the model and returns the loss; it runs
        with gradients on, the update itself under ``no_grad``, in place on ``p.data``.
        Gradient arrays are read, never written: after a step, .grad is still the gradient.
        """
        self._opt_called = True  # PyTorch's flag: a schedule stepped before this warns
        loss = closure() if closure is not None else None
        for i, group in enumerate(self.param_groups):  # before any update: no half-taken step
            for j, p in enumerate(group["params"]):
                if p.grad is not None and not getattr(p.data.flags, "writeable", True):
                    in_place.refuse_read_only(
                        f"{type(self).__name__}.step()", p.data, f"parameter {j} of group {i}"
                    )
        with no_grad():
            for group in self.param_groups:
                self._update(group)
                for p in group["params"]:
                    if p.grad is not None:  # updated in place: a graph built before refuses backward
                        p._changed_in_place()
        return loss

    def _update(self, group):
        raise NotImplementedError

    def _checked(self, settings):
        """``settings`` (the defaults, or a param group) with each setting in ``checks`` that
        it holds checked, as the number the update will use."""
        owner, out = type(self).__name__, dict(settings)
        for key, message in self.checks.items():
            if key not in out or out[key] is required:
                continue
            if key == "betas":
                out[key] = check_betas(owner, out[key])
            else:
                out[key] = check_setting(owner, key, out[key], message)
        return out

    # --- state dicts --------------------------------------------------------
    def state_dict(self):
        """{'state': {index: {name: array or number}}, 'param_groups': [{..., 'params': [index, ...]}]}.

        Arrays are NumPy copies, so the dict can be saved with ``mc.save`` as it is.
        """
        index, groups, start = {}, [], 0
        for group in self.param_groups:
            ids = list(range(start, start + len(group["params"])))
            index.update({id(p): i for p, i in zip(group["params"], ids)})
            packed = {k: copy.deepcopy(v) for k, v in group.items() if k != "params"}
            packed["params"] = ids
            groups.append(packed)
            start += len(ids)
        state = {
            index[id(p)]: {k: _export(v) for k, v in s.items()}
            for p, s in self.state.items()
            if id(p) in index
        }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Restore state and hyperparameters saved by ``state_dict`` (the same parameters, in order).

        Floating state arrays are cast to each parameter's dtype and moved to its device. Each
        group's settings are checked as the constructor checks them (PyTorch takes any, and a
        learning rate of "x" fails inside step()), and nothing changes unless all load.
        """
        check_layout(state_dict)
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"loaded state dict has {len(saved_groups)} parameter groups, "
                f"the optimizer {len(self.param_groups)}"
            )
        by_index = {}
        for i, (group, saved) in enumerate(zip(self.param_groups, saved_groups)):
            if len(group["params"]) != len(saved["params"]):
                raise ValueError(
                    f"loaded state dict's parameter group {i} has {len(saved['params'])} "
                    f"parameters, the optimizer's has {len(group['params'])}"
                )
            by_index.update({int(k): p for k, p in zip(saved["params"], group["params"])})
        group_of = {int(k): saved for saved in saved_groups for k in saved["params"]}
        state = collections.defaultdict(dict)
        for key, values in state_dict["state"].items():
            if int(key) not in by_index:
                raise ValueError(f"loaded state dict has state for parameter {key}, which no group lists")
            p = by_index[int(key)]
            _check_buffers(key, values, p, self.buffers(group_of[int(key)]) if values else ())
            with np.errstate(over="ignore"):  # a float64 beyond the parameter's float32: refused below
                state[p] = {k: _import(v, p) for k, v in values.items()}
            _check_values(key, state[p])
        groups = []
        for i, (group, saved) in enumerate(zip(self.param_groups, saved_groups)):
            try:  # what the constructor refuses, refused here too rather than inside step()
                new = self._checked({k: copy.deepcopy(v) for k, v in saved.items() if k != "params"})
            except (TypeError, ValueError) as err:
                raise type(err)(f"loaded state dict's parameter group {i}: {err}") from None
            new["params"] = group["params"]
            groups.append(new)
        self.state, self.param_groups = state, groups

    def buffers(self, group):
        """The names of the buffers a parameter of ``group`` holds once stepped (a loaded
        state must have them all): none here; each optimizer names its own."""
        return ()

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {group[k]}" for k in sorted(group) if k != "params"]
        return "\n".join(lines) + "\n)"


def _marks_stepped(step):
    @functools.wraps(step)
    def marked(self, *args, **kwargs):
        self._opt_called = True
        return step(self, *args, **kwargs)

    return marked


def check_layout(state_dict):
    """{'state': {index: {name: value}}, 'param_groups': [{'params': [index, ...], ...}]}, or a
    ValueError saying what is not so, before anything is read from it."""
    expected = "expected {'state': {...}, 'param_groups': [{'params': [...], ...}, ...]}"
    if not isinstance(state_dict, dict) or not isinstance(state_dict.get("state"), dict):
        raise ValueError(f"loaded state dict is not an optimizer's: {expected}")
    groups = state_dict.get("param_groups")
    if not isinstance(groups, list) or not all(
        isinstance(g, dict) and isinstance(g.get("params"), list) for g in groups
    ):
        raise ValueError(f"loaded state dict's param_groups are not a list of groups: {expected}")
    for key, values in state_dict["state"].items():
        if not isinstance(values, dict):
            raise ValueError(f"loaded state dict's state of parameter {key} is not a dict of buffers")


def _check_buffers(key, values, p, names):
    """A parameter's saved buffers: each a finite float array of its shape, the step count a
    whole number, and none of ``names`` missing; a ValueError naming the first that is not."""
    what = f"loaded state dict's parameter {key}"
    missing = [name for name in names if name not in values]
    if missing:
        raise ValueError(f"{what} lacks {', '.join(map(repr, missing))}")
    for name, v in values.items():
        if name == "step":
            if isinstance(v, bool) or not isinstance(v, numbers.Integral) or not 0 <= v <= MOST_STEPS:
                raise ValueError(f"{what}'s step is {v!r}; expected a count of steps, 0 to {MOST_STEPS}")
        elif not _is_array(v) or v.dtype.kind != "f":
            found = f"dtype {v.dtype}" if _is_array(v) else type_name(v)
            hint = " (convert it with .numpy())" if hasattr(v, "numpy") and not _is_array(v) else ""
            raise ValueError(
                f"{what}'s {name!r} is {found}; expected a float array of the parameter's shape{hint}"
            )
        elif tuple(v.shape) != p.shape:  # momentum, Adam's moments: the shape of their parameter
            raise ValueError(f"{what}'s {name!r} has shape {tuple(v.shape)}, the parameter {p.shape}")


MOST_STEPS = 2**53  # a count a float still holds exactly, where Adam's bias correction uses it
SQUARES = ("exp_avg_sq", "max_exp_avg_sq", "square_avg", "sum")  # sums of squared gradients


def _check_values(key, buffers):
    """The buffers as the parameter holds them (its dtype): finite, and sums of squares not
    negative (their square roots divide the step)."""
    what = f"loaded state dict's parameter {key}"
    for name, v in buffers.items():
        if not _is_array(v):
            continue
        xp = backend.xp_of(v)
        if not xp.isfinite(v).all():
            raise ValueError(f"{what}'s {name!r} holds NaN or infinite values in the parameter's {v.dtype}")
        if name in SQUARES and (v < 0).any():
            raise ValueError(f"{what}'s {name!r} holds negative values, where it sums squares")


def _export(value):
    if _is_array(value):
        return backend.to_device(value, "cpu").copy()
    return copy.deepcopy(value)


def _import(value, param):
    """A saved state value, as an array on the parameter's device (floats in its dtype); a
    step count as a Python int (a uint8 would wrap at 256)."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return int(value)
    if not _is_array(value):
        return copy.deepcopy(value)
    array = backend.to_device(value, param.device)
    if array.dtype.kind == "f":
        array = array.astype(param.dtype)  # astype copies: the state owns its arrays
    else:
        array = array.copy()
    return array
