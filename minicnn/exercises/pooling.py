"""Exercises on pooling: max-pool and average-pool backward, with overlapping windows and ties.

Expected values come from the reference tier (plain loops, PyTorch's rules:
a tie sends the gradient to the first maximum in row-major window order).
"""

import numpy as np

from ..kernels import reference as ref
from ..kernels.sizes import conv_out_size
from .conv import ASSIGN_HINT, STRIDE_HINT
from .exercise import Case, Exercise, Mistake

NB = "03_lenet5_mnist"

# (N, C, H, W, k, stride, values): LeNet's 2x2/2, AlexNet's overlapping 3x3/2, stride 1, a batch of 1,
# windows that leave rows over, and integer-valued inputs (ties) up to an all-zero input
POOL_CASES = [
    Case(200 + i, dict(zip(("N", "C", "H", "W", "k", "s", "values"), c)))
    for i, c in enumerate(
        [
            (2, 3, 6, 6, 2, 2, "normal"),
            (1, 2, 7, 5, 3, 2, "ties"),
            (2, 1, 5, 6, 2, 1, "ties"),
            (1, 1, 4, 4, 2, 2, "zeros"),
            (3, 2, 9, 7, 3, 3, "normal"),
            (2, 2, 7, 7, 3, 2, "normal"),
        ]
    )
]


def _out(x_shape, k, s):
    return conv_out_size(x_shape[2], k, s, 0), conv_out_size(x_shape[3], k, s, 0)


def _x(rng, shape, values):
    if values == "ties":
        return rng.integers(0, 3, shape).astype(np.float64)
    if values == "zeros":
        return np.zeros(shape)
    return rng.standard_normal(shape)


# --- max pooling ------------------------------------------------------------


def _make_max(rng, N, C, H, W, k, s, values):
    x = _x(rng, (N, C, H, W), values)
    return rng.standard_normal((N, C) + _out(x.shape, k, s)), x, k, s


def _max_backward(gy, x, k, s):
    _, argmax = ref.max_pool2d_forward(x, (k, k), (s, s), (0, 0), False)
    return ref.max_pool2d_input_grad(gy, argmax, x.shape)


def _max_variant(ties, accumulate=True):
    """A max-pool backward sending each gy to the 'first', 'last' or 'all' maxima, or 'split' evenly
    among them, or to the first in column-major order ('column'); `=` if not accumulate."""

    def wrong(gy, x, k, s):
        gx = np.zeros_like(x)
        N, C, OH, OW = gy.shape
        for n in range(N):
            for c in range(C):
                for i in range(OH):
                    for j in range(OW):
                        win = x[n, c, i * s : i * s + k, j * s : j * s + k]
                        hits = np.argwhere(win == win.max())  # row-major order
                        if ties == "column":
                            hits = hits[np.lexsort((hits[:, 0], hits[:, 1]))][:1]
                        share = gy[n, c, i, j] / (len(hits) if ties == "split" else 1)
                        hits = {"first": hits[:1], "last": hits[-1:]}.get(ties, hits)
                        for u, v in hits:
                            if accumulate:
                                gx[n, c, i * s + u, j * s + v] += share
                            else:
                                gx[n, c, i * s + u, j * s + v] = share
        return gx

    return wrong


MAX_POOL = Exercise(
    name="max_pool2d_backward",
    signature="(gy, x, kernel_size, stride)",
    returns=("gx",),
    notebook=NB,
    teaches="max pooling routes each gradient to its window's maximum; overlapping windows add up",
    doc="""gy (N, C, OH, OW), x (N, C, H, W), no padding
    -> gx of x's shape.
    Each gy[n, c, i, j] goes to the maximum of window (i, j) of
    x[n, c]; a tie goes to the first maximum in row-major window
    order (as PyTorch); where windows overlap the gradients add.""",
    make=_make_max,
    expected=_max_backward,
    cases=POOL_CASES,
    mistakes=[
        Mistake(
            "ties: the gradient went to every tied maximum. It goes to ONE element, the first "
            "maximum in row-major window order (np.argmax does this), as PyTorch does",
            _max_variant("all"),
        ),
        Mistake(
            "ties: the gradient went to the last tied maximum; it goes to the first in row-major "
            "order (a strict `>` when scanning, or np.argmax)",
            _max_variant("last"),
        ),
        Mistake(
            "ties: the gradient was split evenly among the tied maxima. PyTorch sends all of it to "
            "ONE element, the first maximum in row-major window order (np.argmax finds it)",
            _max_variant("split"),
        ),
        Mistake(
            "ties: the gradient went to the first maximum in column-major order (down each column "
            "first, as np.argmax of the window's transpose finds it); it goes to the first in "
            "row-major order, along each row first, as PyTorch does",
            _max_variant("column"),
        ),
        Mistake(ASSIGN_HINT, _max_variant("first", accumulate=False)),
        Mistake(STRIDE_HINT, lambda gy, x, k, s: _max_variant("first")(gy, x, k, 1)),
    ],
)


# --- average pooling ---------------------------------------------------------


def _make_avg(rng, N, C, H, W, k, s, values):
    return rng.standard_normal((N, C) + _out((N, C, H, W), k, s)), (N, C, H, W), k, s


def _avg_backward(gy, x_shape, k, s):
    return ref.avg_pool2d_input_grad(gy, x_shape, (k, k), (s, s), (0, 0), False, True)


def _avg_loop(accumulate=True, stride_ignored=False):
    """An average-pool backward writing each window's share with `=` if not accumulate, and at
    (i, j) rather than (i*stride, j*stride) if stride_ignored."""

    def wrong(gy, x_shape, k, s):
        gx, s = np.zeros(x_shape), 1 if stride_ignored else s
        for i in range(gy.shape[2]):
            for j in range(gy.shape[3]):
                share = gy[:, :, i : i + 1, j : j + 1] / (k * k)
                if accumulate:
                    gx[:, :, i * s : i * s + k, j * s : j * s + k] += share
                else:
                    gx[:, :, i * s : i * s + k, j * s : j * s + k] = share
        return gx

    return wrong


AVG_POOL = Exercise(
    name="avg_pool2d_backward",
    signature="(gy, x_shape, kernel_size, stride)",
    returns=("gx",),
    notebook=NB,
    teaches="average pooling (LeNet's subsampling) spreads each gradient evenly over its window",
    doc="""gy (N, C, OH, OW), x_shape (N, C, H, W), no padding
    -> gx of x_shape.
    Each gy[n, c, i, j] / (k*k) is added to every cell of
    window (i, j).""",
    make=_make_avg,
    expected=_avg_backward,
    cases=POOL_CASES,
    mistakes=[
        Mistake(
            "each window's gradient must be divided by its k*k cells: y is their mean, so dy/dx = 1/(k*k)",
            lambda gy, xs, k, s: _avg_backward(gy, xs, k, s) * (k * k),
        ),
        Mistake(
            "each window's gradient was divided by k; the window has k*k cells, and y is their "
            "mean, so dy/dx = 1/(k*k)",
            lambda gy, xs, k, s: _avg_backward(gy, xs, k, s) * k,
        ),
        Mistake(ASSIGN_HINT, _avg_loop(accumulate=False)),
        Mistake(STRIDE_HINT, _avg_loop(stride_ignored=True)),
    ],
)

EXERCISES = [MAX_POOL, AVG_POOL]
