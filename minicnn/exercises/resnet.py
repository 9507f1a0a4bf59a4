"""Exercises of notebook 06: batch norm's backward, through the batch statistics, and a residual
block's, through its identity shortcut.

Expected values come from minicnn's reference tier (batch norm) and its autograd (F.linear,
F.relu, backward()) for the block.
"""

import numpy as np

from .. import functional as F
from ..kernels import reference as ref
from .autograd import autograd
from .exercise import Case, Exercise, Mistake

# --- batch normalization -----------------------------------------------------------------------


def _make_bn(rng, N, C, H, W, eps, shift):
    x = rng.standard_normal((N, C, H, W)) * rng.uniform(0.5, 3, (1, C, 1, 1)) + shift
    return rng.standard_normal((N, C, H, W)), x, rng.uniform(0.5, 2, C), eps


def _bn(gy, x, gamma, eps):
    ncm = (x.shape[0], x.shape[1], -1)
    mean, var = ref.batch_norm_stats(x.reshape(ncm))
    invstd = ref.batch_norm_invstd(var, eps)
    _, xhat = ref.batch_norm_apply(x.reshape(ncm), mean, invstd, gamma, np.zeros_like(gamma))
    gx, ggamma, gbeta = ref.batch_norm_grads(gy.reshape(ncm), xhat, invstd, gamma)
    return gx.reshape(x.shape), ggamma, gbeta


def _bn_variant(
    axes=(0, 2, 3),
    ddof=0,
    constants=False,
    grad_ddof=None,
    without=None,
    eps_outside=False,
    eps_used=True,
    gamma_power=1,
    ggamma_of_x=False,
    sums_of_g=False,
):
    """BN backward with statistics over other axes, an unbiased variance (in the normalization,
    and in the derivative unless grad_ddof says otherwise), mean/var held constant, or ``without``
    one term of gx: "mean" (- mean(g)) or "variance" (- xhat * mean(g * xhat)), or 1/(sqrt(var) + eps);
    or without eps, gx with gamma ** gamma_power in place of gamma (0: left out, 2: twice, -1:
    divided), ggamma from x rather than xhat, ggamma and gbeta summed from g = gamma * gy."""
    grad_ddof = ddof if grad_ddof is None else grad_ddof

    def wrong(gy, x, gamma, eps):
        eps = eps if eps_used else 0.0
        m = int(np.prod([x.shape[a] for a in axes]))
        mean = x.mean(axis=axes, keepdims=True)
        var = ((x - mean) ** 2).sum(axis=axes, keepdims=True) / (m - ddof)
        invstd = 1 / (np.sqrt(var) + eps) if eps_outside else 1 / np.sqrt(var + eps)
        xhat = (x - mean) * invstd
        g = gy * gamma[None, :, None, None] ** gamma_power
        mean_term = 0 if without == "mean" else g.mean(axis=axes, keepdims=True)
        variance_term = 0 if without == "variance" else xhat * (g * xhat).sum(axis=axes, keepdims=True)
        if constants:
            gx = g * invstd
        else:  # the staged-graph result, with m - ddof in the variance's derivative
            gx = invstd * (g - mean_term - variance_term / (m - grad_ddof))
        summed = g if sums_of_g else gy
        return gx, (summed * (x if ggamma_of_x else xhat)).sum(axis=(0, 2, 3)), summed.sum(axis=(0, 2, 3))

    return wrong


BATCH_NORM = Exercise(
    name="batch_norm_backward",
    signature="(gy, x, gamma, eps)",
    returns=("gx", "ggamma", "gbeta"),
    notebook="06_resnet_and_batchnorm",
    teaches="backprop through batch statistics: every input moves the mean and variance of its channel",
    doc="""Training mode: per channel c, mean and biased variance over
    (N, H, W); xhat = (x - mean) / sqrt(var + eps);
    y = gamma[c] * xhat + beta[c]. x, gy (N, C, H, W), gamma (C,).
    Return (gx, ggamma, gbeta).""",
    make=_make_bn,
    expected=_bn,
    cases=[
        Case(600, dict(N=4, C=3, H=5, W=5, eps=1e-5, shift=0.0)),
        Case(601, dict(N=1, C=2, H=3, W=4, eps=1e-5, shift=0.0)),
        Case(602, dict(N=8, C=4, H=1, W=1, eps=1e-3, shift=0.0)),
        Case(603, dict(N=2, C=3, H=4, W=6, eps=1e-5, shift=5.0)),
    ],
    mistakes=[
        Mistake(
            "the batch mean and variance were treated as constants (gx = gamma * gy / sqrt(var + eps)). "
            "They are computed from x, so gx = gamma/sqrt(var + eps) * (gy - mean(gy) - xhat * "
            "mean(gy * xhat)), the means over (N, H, W)",
            _bn_variant(constants=True),
        ),
        Mistake(
            "the variance that normalises is the biased one (divide by N*H*W, not N*H*W - 1; "
            "np.var's default)",
            _bn_variant(ddof=1),
        ),
        Mistake(
            "the variance that normalises is the biased one (divide by N*H*W, not N*H*W - 1; "
            "np.var's default, not ddof=1)",
            _bn_variant(ddof=1, grad_ddof=0),
        ),
        Mistake(
            "the statistics are per channel over (N, H, W), all three axes; you used other axes",
            _bn_variant(axes=(0,)),
        ),
        Mistake(
            "the statistics are per channel over (N, H, W), all three axes; you used other axes",
            _bn_variant(axes=(2, 3)),
        ),
        Mistake(
            "gx is missing the variance's term. With g = gamma * gy and the means over (N, H, W), "
            "gx = (g - mean(g) - xhat * mean(g * xhat)) / sqrt(var + eps): the variance depends on "
            "x too, which gives the last term",
            _bn_variant(without="variance"),
        ),
        Mistake(
            "gx is missing the mean's term. With g = gamma * gy and the means over (N, H, W), "
            "gx = (g - mean(g) - xhat * mean(g * xhat)) / sqrt(var + eps): the mean depends on "
            "x too, which gives the - mean(g)",
            _bn_variant(without="mean"),
        ),
        Mistake(
            "eps goes inside the square root: 1/sqrt(var + eps), not 1/(sqrt(var) + eps)",
            _bn_variant(eps_outside=True),
        ),
        Mistake("eps is left out: xhat = (x - mean) / sqrt(var + eps)", _bn_variant(eps_used=False)),
        Mistake(
            "gamma is left out of gx: y = gamma * xhat + beta, so the gradient reaching xhat is "
            "gamma * gy, and gx is built from it",
            _bn_variant(gamma_power=0),
        ),
        Mistake(
            "gamma is in gx twice: the gradient reaching xhat, g = gamma * gy, holds gamma once, and "
            "gx = (g - mean(g) - xhat * mean(g * xhat)) / sqrt(var + eps) multiplies by nothing more",
            _bn_variant(gamma_power=2),
        ),
        Mistake(
            "gx is divided by gamma where it is multiplied: y = gamma * xhat + beta, so dy/dxhat = "
            "gamma and the gradient reaching xhat is gamma * gy, not gy / gamma",
            _bn_variant(gamma_power=-1),
        ),
        Mistake(
            "ggamma and gbeta are sums of gy, not of gamma * gy: gamma * gy is the gradient that goes "
            "on to xhat; ggamma = sum of gy * xhat and gbeta = sum of gy, over (N, H, W)",
            _bn_variant(sums_of_g=True),
        ),
        Mistake(
            "ggamma is the sum of gy * xhat, the normalised input (y = gamma * xhat + beta), not of gy * x",
            _bn_variant(ggamma_of_x=True),
        ),
    ],
)


# --- residual block -----------------------------------------------------------------------------


def _make_residual(rng, N, D, H, kinks=False):
    gy, x, w1, b1, w2, b2 = (rng.standard_normal(s) for s in ((N, D), (N, D), (H, D), (H,), (D, H), (D,)))
    if kinks:
        # NOTE: both ReLUs at their kink, exactly, whatever the seed: with x[0] = 0, row 0's
        # pre-activations are b1 (zeros and negatives: relu gives 0), then z = 0 + 0 @ w2.T + b2 = b2
        # (zeros and positives). At 0 the gradient is 0 (PyTorch's convention, z > 0)
        x[0] = 0.0
        b1, b2 = -np.abs(b1), np.abs(b2)
        b1[::2], b2[::2] = 0.0, 0.0
    return gy, x, w1, b1, w2, b2


def _residual_forward(x, w1, b1, w2, b2):
    return F.relu(x + F.linear(F.relu(F.linear(x, w1, b1)), w2, b2))


def _residual(gy, x, w1, b1, w2, b2):
    return autograd(_residual_forward, gy, x, w1, b1, w2, b2)


def _residual_no_shortcut(gy, x, w1, b1, w2, b2):
    gx, *rest = _residual(gy, x, w1, b1, w2, b2)
    z = x + np.maximum(x @ w1.T + b1, 0) @ w2.T + b2
    return (gx - gy * (z > 0), *rest)


def _residual_no_relu_mask(gy, x, w1, b1, w2, b2):
    gy_through = gy * np.ones_like(x)  # as if the last ReLU passed everything
    return autograd(
        lambda x, w1, b1, w2, b2: x + F.linear(F.relu(F.linear(x, w1, b1)), w2, b2),
        gy_through,
        x,
        w1,
        b1,
        w2,
        b2,
    )


def _residual_by_hand(inner=">", last=">", shortcut_masked=True, last_of="sum"):
    """The block's backward with each ReLU's gradient passing where its input is ``>`` 0, ``>=`` 0,
    or everywhere (None), and the shortcut given the gradient after the last ReLU or gy itself;
    the last ReLU's mask taken from its input z = x + F(x) ("sum"), from x, or from F(x) ("branch")."""
    masks = {">": lambda t: t > 0, ">=": lambda t: t >= 0, None: lambda t: 1.0}

    def wrong(gy, x, w1, b1, w2, b2):
        h = x @ w1.T + b1
        a = np.maximum(h, 0)
        branch = a @ w2.T + b2
        g = gy * masks[last]({"sum": x + branch, "x": x, "branch": branch}[last_of])
        gh = g @ w2 * masks[inner](h)
        return (g if shortcut_masked else gy) + gh @ w1, gh.T @ x, gh.sum(0), g.T @ a, g.sum(0)

    return wrong


RESIDUAL = Exercise(
    name="residual_block_backward",
    signature="(gy, x, w1, b1, w2, b2)",
    returns=("gx", "gw1", "gb1", "gw2", "gb2"),
    notebook="06_resnet_and_batchnorm",
    teaches=(
        "past the ReLU after the addition, the identity shortcut hands the gradient to the block's input "
        "unchanged"
    ),
    doc="""y = relu(x + relu(x @ w1.T + b1) @ w2.T + b2), x (N, D),
    w1 (H, D), w2 (D, H); gy = dL/dy.
    Return (gx, gw1, gb1, gw2, gb2).""",
    make=_make_residual,
    expected=_residual,
    cases=[
        Case(30, dict(N=1, D=3, H=4)),
        Case(31, dict(N=6, D=4, H=3)),
        Case(32, dict(N=3, D=5, H=5)),
        Case(33, dict(N=4, D=5, H=4, kinks=True)),
    ],
    mistakes=[
        Mistake(
            "gx is missing the shortcut's share: y = relu(x + F(x)), so x receives the gradient "
            "through the identity as well as through the branch",
            _residual_no_shortcut,
        ),
        Mistake(
            "the last ReLU is skipped in backward: multiply gy by (z > 0), z = x + F(x), first",
            _residual_no_relu_mask,
        ),
        Mistake(
            "at 0 a ReLU's gradient is 0: pass the gradient where the input is > 0, not >= 0 "
            "(PyTorch's convention), in both ReLUs",
            _residual_by_hand(">=", ">="),
        ),
        Mistake(
            "at 0 a ReLU's gradient is 0: in the inner ReLU pass the gradient where its input "
            "x @ w1.T + b1 is > 0, not >= 0 (PyTorch's convention)",
            _residual_by_hand(inner=">="),
        ),
        Mistake(
            "at 0 a ReLU's gradient is 0: in the last ReLU pass the gradient where its input "
            "z = x + F(x) is > 0, not >= 0 (PyTorch's convention)",
            _residual_by_hand(last=">="),
        ),
        Mistake(
            "the shortcut's gradient is gy * (z > 0), not gy: the last ReLU comes after the addition, "
            "so the shortcut and the branch both receive the gradient it lets through",
            _residual_by_hand(shortcut_masked=False),
        ),
        Mistake(
            "the inner ReLU is skipped in backward: multiply the branch's gradient by (h > 0), "
            "h = x @ w1.T + b1, before it reaches w1, b1 and x",
            _residual_by_hand(inner=None),
        ),
        Mistake(
            "the last ReLU's mask was taken from x: that ReLU's input is the sum z = x + F(x), "
            "F(x) = relu(x @ w1.T + b1) @ w2.T + b2, so the gradient passes where z > 0",
            _residual_by_hand(last_of="x"),
        ),
        Mistake(
            "the last ReLU's mask was taken from the branch F(x) alone: that ReLU's input is the sum "
            "z = x + F(x), shortcut included, so the gradient passes where z > 0",
            _residual_by_hand(last_of="branch"),
        ),
    ],
)

EXERCISES = [BATCH_NORM, RESIDUAL]
