"""Plain loops for layer norm and group norm: the spec of ``functional/sample_norm.py``.

Each function is the loop a student would write from the paper's formula, one
value at a time, in reference.py's manner (slow: use tiny inputs). They are not
a tier's kernels: the two ops run one xp code on every tier, and the tests hold
that code to these loops. ``weight`` and ``bias`` may be None (1 and 0).

    layer norm  x (R, K): row r (the leading dims flattened) normalized over its K values,
                weight and bias (K,) (normalized_shape flattened)
    group norm  x (N, C, M): sample n's channels g*C/G .. (g+1)*C/G - 1 over all M
                positions, weight and bias (C,)
"""

import numpy as np

from ..backend import Array


def _mean_and_var(values):
    """The mean and biased variance of a list of numbers, two passes, summed in float64
    (as reference.batch_norm_stats, for the same reason)."""
    total = np.float64(0.0)
    for v in values:
        total += v
    mean = total / len(values)
    total = np.float64(0.0)
    for v in values:
        total += (v - mean) ** 2
    return mean, total / len(values)


def _standardized_grads(g, xhat, invstd):
    """gx_i = invstd (g_i - mean(g) - xhat_i mean(g xhat)) over one set of values (lists)."""
    sum_g, sum_g_xhat = np.float64(0.0), np.float64(0.0)
    for gi, hi in zip(g, xhat):
        sum_g += gi
        sum_g_xhat += gi * hi
    k = len(g)
    return [invstd * (gi - sum_g / k - hi * sum_g_xhat / k) for gi, hi in zip(g, xhat)]


def layer_norm(x: Array, weight: Array | None, bias: Array | None, eps: float) -> Array:
    """y[r, k] = weight[k] (x[r, k] - mean_r) / sqrt(var_r + eps) + bias[k]."""
    R, K = x.shape
    y = np.empty_like(x)
    for r in range(R):
        mean, var = _mean_and_var([x[r, k] for k in range(K)])
        for k in range(K):
            xhat = (x[r, k] - mean) / np.sqrt(var + eps)
            y[r, k] = (1 if weight is None else weight[k]) * xhat + (0 if bias is None else bias[k])
    return y


def layer_norm_grads(gy: Array, x: Array, weight: Array | None, eps: float) -> tuple[Array, Array, Array]:
    """(gx, gweight, gbias): gx[r] = invstd_r (g - mean(g) - xhat mean(g xhat)) over row r,
    g = weight gy;  gweight[k] = sum_r gy[r, k] xhat[r, k],  gbias[k] = sum_r gy[r, k]."""
    R, K = x.shape
    gx = np.empty_like(x)
    gweight, gbias = np.zeros(K, dtype=x.dtype), np.zeros(K, dtype=x.dtype)
    for r in range(R):
        mean, var = _mean_and_var([x[r, k] for k in range(K)])
        invstd = 1 / np.sqrt(var + eps)
        xhat = [(x[r, k] - mean) * invstd for k in range(K)]
        g = [gy[r, k] * (1 if weight is None else weight[k]) for k in range(K)]
        for k, gxk in enumerate(_standardized_grads(g, xhat, invstd)):
            gx[r, k] = gxk
            gweight[k] += gy[r, k] * xhat[k]
            gbias[k] += gy[r, k]
    return gx, gweight, gbias


def _group(x, n, g, per_group):
    """The (channel, position) pairs of sample n's group g, and their values."""
    M = x.shape[2]
    at = [(c, j) for c in range(g * per_group, (g + 1) * per_group) for j in range(M)]
    return at, [x[n, c, j] for c, j in at]


def group_norm(x: Array, num_groups: int, weight: Array | None, bias: Array | None, eps: float) -> Array:
    """y[n, c, j] = weight[c] (x[n, c, j] - mean_ng) / sqrt(var_ng + eps) + bias[c], g = c // (C/G)."""
    N, C, M = x.shape
    per_group = C // num_groups
    y = np.empty_like(x)
    for n in range(N):
        for g in range(num_groups):
            at, values = _group(x, n, g, per_group)
            mean, var = _mean_and_var(values)
            for (c, j), v in zip(at, values):
                xhat = (v - mean) / np.sqrt(var + eps)
                y[n, c, j] = (1 if weight is None else weight[c]) * xhat + (0 if bias is None else bias[c])
    return y


def group_norm_grads(
    gy: Array, x: Array, num_groups: int, weight: Array | None, eps: float
) -> tuple[Array, Array, Array]:
    """(gx, gweight, gbias): gx = invstd (g - mean(g) - xhat mean(g xhat)) over each sample's
    group, g = weight[c] gy;  gweight[c] = sum over n, j of gy xhat,  gbias[c] = sum of gy."""
    N, C, M = x.shape
    per_group = C // num_groups
    gx = np.empty_like(x)
    gweight, gbias = np.zeros(C, dtype=x.dtype), np.zeros(C, dtype=x.dtype)
    for n in range(N):
        for g in range(num_groups):
            at, values = _group(x, n, g, per_group)
            mean, var = _mean_and_var(values)
            invstd = 1 / np.sqrt(var + eps)
            xhat = [(v - mean) * invstd for v in values]
            grads = [gy[n, c, j] * (1 if weight is None else weight[c]) for c, j in at]
            for (c, j), h, gxi in zip(at, xhat, _standardized_grads(grads, xhat, invstd)):
                gx[n, c, j] = gxi
                gweight[c] += gy[n, c, j] * h
                gbias[c] += gy[n, c, j]
    return gx, gweight, gbias
