"""Finite-difference gradient checks: does backward() agree with the definition?

For a function f of tensors, backward gives the gradient of L = sum(f(x) * r)
for a fixed random r. Central differences estimate the same number without
any backward code:  dL/dx_i ~ (L(x + eps e_i) - L(x - eps e_i)) / (2 eps),
with an error of order eps^2. In float64 with eps = 1e-6 the two agree to
about 1e-8 unless backward is wrong.

For large inputs, checking every element costs two forward passes each; the
random-direction mode checks one directional derivative instead:
(L(x + eps v) - L(x - eps v)) / (2 eps)  against  <grad L, v>.
"""

import numpy as np

from .tensor import Tensor, no_grad

__all__ = ["GradcheckError", "gradcheck"]


class GradcheckError(AssertionError):
    """backward() disagrees with finite differences."""


def _as_outputs(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


def _loss(fn, inputs, weights):
    with no_grad():
        outs = _as_outputs(fn(*inputs))
    return sum(float((o.numpy() * w).sum()) for o, w in zip(outs, weights))


def gradcheck(
    fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, mode="full", seed=0, directions=3, raise_exception=True
):
    """Compare ``backward()`` with central differences for every floating input that requires grad.

    Args:
        fn: a callable on Tensors returning a Tensor (or a tuple of them), or a
            ``Module`` called with ``inputs`` whose parameters are checked too.
        inputs: Tensors (float64 for a meaningful check).
        mode: ``"full"`` perturbs every element; ``"random"`` checks
            ``directions`` random directional derivatives (for large inputs).
    Returns True; raises ``GradcheckError`` naming the input, the worst
    element, both values and the relative error when they disagree.
    """
    inputs = list(inputs) if isinstance(inputs, (tuple, list)) else [inputs]
    checked, names = [], []
    for i, t in enumerate(inputs):
        if isinstance(t, Tensor) and t.requires_grad:
            checked.append(t)
            names.append(f"input {i}")
    if hasattr(fn, "named_parameters"):
        for name, p in fn.named_parameters():
            if p.requires_grad:
                checked.append(p)
                names.append(f"parameter {name!r}")
    for name, t in zip(names, checked):
        if t.dtype != np.float64:
            raise TypeError(
                f"gradcheck: {name} is {t.dtype}; finite differences need float64 "
                "(use .double() on tensors and modules)"
            )
    rng = np.random.default_rng(seed)

    # Analytic gradient of L = sum(out * w) for random weights w.
    outs = _as_outputs(fn(*inputs))
    weights = [rng.standard_normal(o.shape) for o in outs]
    saved_grads = [t.grad for t in checked]
    for t in checked:
        t.grad = None
    total = sum((o * Tensor(w)).sum() for o, w in zip(outs, weights) if o.requires_grad)
    if not isinstance(total, Tensor):
        raise GradcheckError("gradcheck: no output depends on an input that requires grad")
    total.backward()
    analytic = [np.zeros(t.shape) if t.grad is None else t.grad.numpy().astype(np.float64) for t in checked]
    for t, g in zip(checked, saved_grads):
        t.grad = g  # leave the caller's gradients as they were

    for name, t, ga in zip(names, checked, analytic):
        data = t.data  # perturbed in place, then restored
        original = data.copy()
        if mode == "full":
            numeric = np.zeros(t.shape)
            # NOTE: indexed cell by cell, not through data.reshape(-1): for a transposed,
            # Fortran-ordered or sliced array that reshape is a copy, and the nudge would
            # never reach the tensor
            for i in np.ndindex(*t.shape):
                data[i] = original[i] + eps
                plus = _loss(fn, inputs, weights)
                data[i] = original[i] - eps
                minus = _loss(fn, inputs, weights)
                data[i] = original[i]
                numeric[i] = (plus - minus) / (2 * eps)
            bad = np.abs(ga - numeric) > atol + rtol * np.abs(numeric)
            if bad.any():
                err = np.abs(ga - numeric) / np.maximum(np.abs(numeric), 1e-12)
                worst = np.unravel_index(np.argmax(np.where(bad, err, -1)), t.shape)
                message = (
                    f"gradcheck failed for {name} of shape {t.shape}: {int(bad.sum())} of "
                    f"{bad.size} elements differ; worst at index {tuple(int(i) for i in worst)}: "
                    f"backward {ga[worst]:.10g}, finite difference {numeric[worst]:.10g}, "
                    f"relative error {err[worst]:.3g}"
                )
                return _fail(message, raise_exception)
        else:
            for k in range(directions):
                v = rng.standard_normal(t.shape)
                data[...] = original + eps * v
                plus = _loss(fn, inputs, weights)
                data[...] = original - eps * v
                minus = _loss(fn, inputs, weights)
                data[...] = original
                numeric = (plus - minus) / (2 * eps)
                exact = float((ga * v).sum())
                if abs(exact - numeric) > atol + rtol * abs(numeric):
                    message = (
                        f"gradcheck failed for {name} of shape {t.shape} along random "
                        f"direction {k}: backward {exact:.10g}, finite difference "
                        f"{numeric:.10g}, relative error "
                        f"{abs(exact - numeric) / max(abs(numeric), 1e-12):.3g}"
                    )
                    return _fail(message, raise_exception)
    return True


def _fail(message, raise_exception):
    if raise_exception:
        raise GradcheckError(message)
    return False
