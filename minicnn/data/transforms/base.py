"""What every transform shares: checking the batch, the generator, and Compose."""

import inspect

import numpy as np

from ... import rng as random_state


class Transform:
    """Base class: ``__call__(batch, rng=None)`` checks the batch, then calls ``apply``
    (without a generator it draws from minicnn's, which ``mc.manual_seed`` seeds)."""

    def __call__(self, batch, rng=None):
        check_batch(type(self).__name__, batch)
        return self.apply(batch, random_state.default_generator() if rng is None else rng)

    def apply(self, batch, rng):
        raise NotImplementedError

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{type(self).__name__}({args})"


def check_batch(name, batch):
    """A transform takes a float array (N, C, H, W); say so before any arithmetic."""
    if not isinstance(batch, np.ndarray):
        raise TypeError(f"{name}: expected a NumPy array (N, C, H, W), got {type(batch).__name__}")
    if batch.ndim != 4:
        raise ValueError(f"{name}: expected a batch (N, C, H, W), got shape {tuple(batch.shape)}")
    if batch.dtype.kind != "f":
        raise TypeError(f"{name}: expected floating-point pixels, got dtype {batch.dtype}")
    # square images stored channels last (as image files hold them): (N, S, S, 1 or 3)
    if batch.shape[-1] in (1, 3) and batch.shape[1] == batch.shape[2] > 4:
        raise ValueError(
            f"{name}: expected channels first (N, C, H, W), got shape {tuple(batch.shape)}, which looks "
            "like (N, H, W, C): batch.transpose(0, 3, 1, 2)"
        )


def pair(name, size):
    """An int, (h, w) or (s,) as a pair of positive ints (torchvision's sizes: (s,) is (s, s))."""
    values = [size] if np.isscalar(size) else list(size) if isinstance(size, (tuple, list)) else None
    ok = values is not None and len(values) in (1, 2)
    whole = lambda v: (
        isinstance(v, (int, float, np.integer, np.floating))
        and not isinstance(v, bool)
        and float(v).is_integer()
    )
    ok = ok and all(whole(v) and v >= 1 for v in values)
    if not ok:
        raise ValueError(f"{name}: size must be a positive int, (h, w) or (s,), got {size!r}")
    h, w = (values * 2)[:2]
    return int(h), int(w)


class Compose(Transform):
    """Apply ``transforms`` in order, all with the same generator (torchvision's Compose)."""

    def __init__(self, transforms):
        if callable(transforms) or not isinstance(transforms, (list, tuple)):
            raise TypeError(f"Compose: expected a list of transforms, got {type(transforms).__name__}")
        self.transforms = list(transforms)
        for t in self.transforms:
            if not callable(t):
                raise TypeError(f"Compose: every transform must be callable, got {t!r}")
        self._calls = [with_generator(t) for t in self.transforms]  # lambda x: ... too

    def __call__(self, batch, rng=None):
        rng = random_state.default_generator() if rng is None else rng
        for t in self._calls:
            batch = t(batch, rng)
        return batch

    def __repr__(self):
        return "Compose([" + ", ".join(map(repr, self.transforms)) + "])"


def with_generator(transform):
    """``transform`` as ``f(batch, rng)``: a torchvision-style function of the batch alone
    (one parameter, as ``lambda x: x * 2``) is wrapped to ignore the generator."""
    if transform is None:
        return None
    if isinstance(transform, np.ufunc) and transform.nin == 1:  # np.tanh: no signature to read
        return lambda batch, rng: transform(batch)
    try:
        params = inspect.signature(transform).parameters.values()
    except (TypeError, ValueError):  # a builtin without a signature: taken as f(batch, rng)
        return transform
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if len(positional) == 1 and not any(p.kind == p.VAR_POSITIONAL for p in params):
        return lambda batch, rng: transform(batch)
    return transform
