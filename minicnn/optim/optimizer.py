"""Optimizer: parameter groups, per-parameter state and state dicts laid out as PyTorch's.

An optimizer holds ``param_groups``, a list of dicts each with its own
``params`` and hyperparameters (``lr``, ``momentum`` ...), so one model can
train its backbone and its new head at different rates, and ``state``, a dict
from each parameter to its buffers (momentum, Adam's moments, the step count).

``state_dict()`` names parameters by their position, counted across groups
(0, 1, 2 ...), as PyTorch does, so it can be loaded into a fresh optimizer
built over the same parameters in the same order.
"""

import copy
import math
import numbers

import numpy as np

from .. import backend
from ..functional.checks import type_name
from ..tensor import Tensor, no_grad


class _Required:
    def __repr__(self):
        return "<required parameter>"


required = _Required()


def check_setting(message, value, below=None):
    """Refuse a hyperparameter that is NaN, infinite, negative or (if given) not ``< below``,
    with PyTorch's words: ``check_setting("Invalid learning rate", lr)`` -> "Invalid learning
    rate: nan". NaN fails every comparison, so ``lr < 0`` alone would let it through."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{message}: {value!r} (expected a number)") from None
    if not math.isfinite(number) or number < 0 or (below is not None and number >= below):
        raise ValueError(f"{message}: {value}")


def _is_array(value):
    """A NumPy or CuPy array (not a Tensor, nor another library's tensor, whose dtype is its own)."""
    return (
        hasattr(value, "shape")
        and hasattr(getattr(value, "dtype", None), "kind")
        and not isinstance(value, Tensor)
    )


class Optimizer:
    """Base class: subclasses give ``defaults`` and write ``_update(group)``."""

    def __init__(self, params, defaults):
        self.defaults = defaults
        self.state = {}  # Parameter -> dict of its buffers (keyed by the object)
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
        group = dict(param_group)
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
        loss = closure() if closure is not None else None
        with no_grad():
            for group in self.param_groups:
                self._update(group)
                for p in group["params"]:
                    if p.grad is not None:  # updated in place: a graph built before refuses backward
                        p._changed_in_place()
        return loss

    def _update(self, group):
        raise NotImplementedError

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

        Floating state arrays are cast to each parameter's dtype and moved to its device.
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
        state = {}
        for key, values in state_dict["state"].items():
            if int(key) not in by_index:
                raise ValueError(f"loaded state dict has state for parameter {key}, which no group lists")
            p = by_index[int(key)]
            _check_buffers(key, values, p, self.buffers(group_of[int(key)]) if values else ())
            with np.errstate(over="ignore"):  # a float64 beyond the parameter's float32: refused below
                state[p] = {k: _import(v, p) for k, v in values.items()}
            _check_values(key, state[p])
        groups = []
        for group, saved in zip(self.param_groups, saved_groups):
            new = {k: copy.deepcopy(v) for k, v in saved.items() if k != "params"}
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
