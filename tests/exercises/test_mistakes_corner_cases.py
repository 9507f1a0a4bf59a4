"""Known mistakes that only a case chosen for them can show (u exactly p, eps near sqrt(v)), each
written as a student would write it, fail with the hint that names them."""

import numpy as np
from mistake_hint import hint

# --- mistakes only a chosen case can show ------------------------------------------------------


def test_adam_with_eps_inside_the_square_root():
    def adam_step(param, grad, m, v, t, lr, beta1, beta2, eps):
        m = beta1 * m + (1 - beta1) * grad
        v = beta2 * v + (1 - beta2) * grad * grad
        m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
        return param - lr * m_hat / np.sqrt(v_hat + eps), m, v

    assert hint("adam_step", adam_step) == "eps goes outside the square root: sqrt(v_hat) + eps"


def test_dropout_keeping_only_u_above_p():
    said = hint("inverted_dropout", lambda x, p, u: np.where(u > p, x / (1 - p), 0.0))
    assert said == "the units with u exactly p were dropped: a unit is kept where u >= p, not u > p"


def test_dropconnect_keeping_only_u_above_p():
    def dropconnect_forward(x, w, b, p, u):
        return np.einsum("noi,ni->no", (u > p) * w / (1 - p), x) + b

    said = hint("dropconnect_forward", dropconnect_forward)
    assert said == "the weights with u exactly p were dropped: a weight is kept where u >= p, not u > p"


def test_batch_norm_with_the_unbiased_variance_in_the_normalization_only():
    def batch_norm_backward(gy, x, gamma, eps):
        axes = (0, 2, 3)
        mean, var = x.mean(axis=axes, keepdims=True), x.var(axis=axes, keepdims=True, ddof=1)
        invstd = 1 / np.sqrt(var + eps)
        xhat, g = (x - mean) * invstd, gy * gamma[None, :, None, None]
        gx = invstd * (
            g - g.mean(axis=axes, keepdims=True) - xhat * (g * xhat).mean(axis=axes, keepdims=True)
        )
        return gx, (gy * xhat).sum(axis=axes), gy.sum(axis=axes)

    assert hint("batch_norm_backward", batch_norm_backward).startswith(
        "the variance that normalises is the biased one"
    )
