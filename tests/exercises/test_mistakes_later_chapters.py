"""More known mistakes of notebooks 4 to 10, each written as a student writes it, fail with the hint
that names it and no other: a 1x1 convolution without its bias; LRN's derivative without its 2, its
alpha / size, or the neighbours' terms; batch norm without gamma or eps, or with gamma twice, divided
or in ggamma and gbeta; the residual block's ReLUs, their masks and shortcut; Adam's moments (|grad|
where grad or grad^2 belongs) and step count; a CAM with a ReLU or a mean; counts with the bias or
rounded up; DropConnect and MobileNet's costs."""

import dataclasses
import math

import numpy as np
import pytest
from mistake_hint import hint

from minicnn import exercises
from minicnn.exercises import calling, grading

# --- 4. AlexNet's tricks: LRN ----------------------------------------------------------------------


def _lrn(two=2, per_size=True, own_only=False, mirrored=True):
    def lrn_backward(gy, x, size, alpha, beta, k):
        C, a = x.shape[1], alpha / size if per_size else alpha
        s = np.empty_like(x)
        for c in range(C):
            lo, hi = max(c - size // 2, 0), min(c + (size - 1) // 2 + 1, C)
            s[:, c] = k + a * (x[:, lo:hi] ** 2).sum(axis=1)
        gx = gy * s**-beta
        t = gy * x * s ** (-beta - 1)
        for c in range(C):
            if mirrored:
                lo, hi = max(c - (size - 1) // 2, 0), min(c + size // 2 + 1, C)
            else:  # the forward's window again
                lo, hi = max(c - size // 2, 0), min(c + (size - 1) // 2 + 1, C)
            neighbours = t[:, c] if own_only else t[:, lo:hi].sum(axis=1)
            gx[:, c] -= two * a * beta * x[:, c] * neighbours
        return gx

    return lrn_backward


# --- 6. ResNet and batch norm --------------------------------------------------------------------


def _bn(no_eps=False, gamma_in_gx=True, ggamma_of_x=False):
    def batch_norm_backward(gy, x, gamma, eps):
        axes = (0, 2, 3)
        mean, var = x.mean(axis=axes, keepdims=True), x.var(axis=axes, keepdims=True)
        invstd = 1 / np.sqrt(var) if no_eps else 1 / np.sqrt(var + eps)
        xhat = (x - mean) * invstd
        g = gy * gamma[None, :, None, None] if gamma_in_gx else gy
        gx = invstd * (
            g - g.mean(axis=axes, keepdims=True) - xhat * (g * xhat).mean(axis=axes, keepdims=True)
        )
        return gx, (gy * (x if ggamma_of_x else xhat)).sum(axis=axes), gy.sum(axis=axes)

    return batch_norm_backward


def batch_norm_gamma_twice(gy, x, gamma, eps):
    """The compact formula, gamma / sqrt(var + eps) in front, fed gamma * gy once more."""
    axes, m = (0, 2, 3), x.size // x.shape[1]
    mean, var = x.mean(axis=axes, keepdims=True), x.var(axis=axes, keepdims=True)
    invstd = 1 / np.sqrt(var + eps)
    xhat = (x - mean) * invstd
    gxhat = gy * gamma[None, :, None, None]
    gx = (gamma[None, :, None, None] * invstd / m) * (
        m * gxhat - gxhat.sum(axis=axes, keepdims=True) - xhat * (gxhat * xhat).sum(axis=axes, keepdims=True)
    )
    return gx, (gy * xhat).sum(axis=axes), gy.sum(axis=axes)


def _bn_with_g(g_of, sums_of_g=False):
    """Batch norm's backward with the gradient reaching xhat ``g_of(gy, gamma)``; ggamma and gbeta
    summed from it if ``sums_of_g``."""

    def batch_norm_backward(gy, x, gamma, eps):
        axes = (0, 2, 3)
        mean, var = x.mean(axis=axes, keepdims=True), x.var(axis=axes, keepdims=True)
        invstd = 1 / np.sqrt(var + eps)
        xhat = (x - mean) * invstd
        g = g_of(gy, gamma[None, :, None, None])
        gx = invstd * (
            g - g.mean(axis=axes, keepdims=True) - xhat * (g * xhat).mean(axis=axes, keepdims=True)
        )
        summed = g if sums_of_g else gy
        return gx, (summed * xhat).sum(axis=axes), summed.sum(axis=axes)

    return batch_norm_backward


def _residual(inner_at_zero=False, last_at_zero=False, shortcut_gets_gy=False, inner_mask=True):
    def residual_block_backward(gy, x, w1, b1, w2, b2):
        h = x @ w1.T + b1
        a = np.maximum(h, 0)
        z = x + a @ w2.T + b2
        g = gy * ((z >= 0) if last_at_zero else (z > 0))
        ga = g @ w2
        gw2, gb2 = g.T @ a, g.sum(axis=0)
        if inner_mask:
            ga = ga * ((h >= 0) if inner_at_zero else (h > 0))
        gx = (gy if shortcut_gets_gy else g) + ga @ w1
        return gx, ga.T @ x, ga.sum(axis=0), gw2, gb2

    return residual_block_backward


def _residual_last_mask(mask_of):
    """The block's backward with the last ReLU's mask ``mask_of(x, branch)`` > 0, not of their sum."""

    def residual_block_backward(gy, x, w1, b1, w2, b2):
        h = x @ w1.T + b1
        a = np.maximum(h, 0)
        g = gy * (mask_of(x, a @ w2.T + b2) > 0)
        ga = g @ w2 * (h > 0)
        return g + ga @ w1, ga.T @ x, ga.sum(axis=0), g.T @ a, g.sum(axis=0)

    return residual_block_backward


# --- 7. fine-tuning: Adam --------------------------------------------------------------------------


def _adam(correct_m=True, return_corrected=False, step=lambda t: t):
    def adam_step(param, grad, m, v, t, lr, beta1, beta2, eps):
        m = beta1 * m + (1 - beta1) * grad
        v = beta2 * v + (1 - beta2) * grad * grad
        m_hat = m / (1 - beta1 ** step(t)) if correct_m else m
        v_hat = v / (1 - beta2 ** step(t))
        new = param - lr * m_hat / (np.sqrt(v_hat) + eps)
        return (new, m_hat, v_hat) if return_corrected else (new, m, v)

    return adam_step


def _adam_moments(m_of, v_of):
    """Adam averaging ``m_of(grad)`` into m and ``v_of(grad)`` into v."""

    def adam_step(param, grad, m, v, t, lr, beta1, beta2, eps):
        m = beta1 * m + (1 - beta1) * m_of(grad)
        v = beta2 * v + (1 - beta2) * v_of(grad)
        m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
        with np.errstate(invalid="ignore"):  # sqrt of a negative v_hat: nan, as the student's gets
            return param - lr * m_hat / (np.sqrt(v_hat) + eps), m, v

    return adam_step


# --- 8. visualizing ---------------------------------------------------------------------------------


def cam_with_a_relu(features, weight, labels):
    return np.maximum(np.einsum("nk,nkhw->nhw", weight[labels], features), 0)


def cam_averaged(features, weight, labels):
    return np.einsum("nk,nkhw->nhw", weight[labels], features) / features.shape[1]


# --- 9. and 10. counts, leaky ReLU, DropConnect -----------------------------------------------------


def _macs(per_output=lambda C, k: C * k * k, size=lambda n, k, s, p: (n + 2 * p - k) // s + 1):
    def conv2d_macs(x_shape, w_shape, stride, padding):
        N, C, H, W = x_shape
        O, _, k, _ = w_shape
        OH, OW = size(H, k, stride, padding), size(W, k, stride, padding)
        return N * O * OH * OW * per_output(C, k)

    return conv2d_macs


def dropconnect_without_the_bias(x, w, b, p, u):
    return np.einsum("noi,ni->no", (u >= p) * w / (1 - p), x)


def dropconnect_scaled_by_1_over_p(x, w, b, p, u):
    return np.einsum("noi,ni->no", (u >= p) * w / p, x) + b


def _cost(pointwise_k=1, unpadded=False, by_layer=False):
    def depthwise_separable_cost(c_in, c_out, k, h, w):
        standard = c_out * c_in * k * k
        separable = c_in * k * k + c_in * c_out * pointwise_k * pointwise_k
        oh, ow = (h - k + 1, w - k + 1) if unpadded else (h, w)
        if by_layer:
            return (standard, standard * oh * ow), (separable, separable * oh * ow)
        return (standard, separable), (standard * oh * ow, separable * oh * ow)

    return depthwise_separable_cost


MISTAKES = [
    ("conv1x1_forward", lambda x, w, b: np.einsum("oc,nchw->nohw", w[:, :, 0, 0], x), "the bias is missing"),
    ("lrn_backward", _lrn(two=1), "the 2 of d(x^2)/dx = 2x is missing"),
    ("lrn_backward", _lrn(per_size=False), "alpha is divided by size"),
    ("lrn_backward", _lrn(own_only=True), "x_c is in its neighbours' denominators too"),
    ("lrn_backward", _lrn(mirrored=False), "the channels whose windows hold c"),
    ("batch_norm_backward", _bn(no_eps=True), "eps is left out"),
    ("batch_norm_backward", _bn(gamma_in_gx=False), "gamma is left out of gx"),
    ("batch_norm_backward", _bn(ggamma_of_x=True), "ggamma is the sum of gy * xhat"),
    ("batch_norm_backward", batch_norm_gamma_twice, "gamma is in gx twice"),
    ("batch_norm_backward", _bn_with_g(lambda gy, gamma: gy / gamma), "gx is divided by gamma"),
    (
        "batch_norm_backward",
        _bn_with_g(lambda gy, gamma: gy * gamma, sums_of_g=True),
        "ggamma and gbeta are sums of gy, not of gamma * gy",
    ),
    ("residual_block_backward", _residual(inner_at_zero=True), "at 0 a ReLU's gradient is 0: in the inner"),
    ("residual_block_backward", _residual(last_at_zero=True), "at 0 a ReLU's gradient is 0: in the last"),
    ("residual_block_backward", _residual(shortcut_gets_gy=True), "the shortcut's gradient is gy * (z > 0)"),
    ("residual_block_backward", _residual(inner_mask=False), "the inner ReLU is skipped"),
    (
        "residual_block_backward",
        _residual_last_mask(lambda x, branch: x),
        "the last ReLU's mask was taken from x:",
    ),
    (
        "residual_block_backward",
        _residual_last_mask(lambda x, branch: branch),
        "the last ReLU's mask was taken from the branch F(x) alone",
    ),
    ("adam_step", _adam(correct_m=False), "only v is bias-corrected"),
    ("adam_step", _adam(return_corrected=True), "return the moments m and v, not m_hat and v_hat"),
    ("adam_step", _adam(step=lambda t: t + 1), "the bias correction uses this step's t"),
    ("adam_step", _adam_moments(lambda g: g, np.abs), "v averages |grad| where it averages the SQUARED"),
    ("adam_step", _adam_moments(lambda g: g, lambda g: g), "v averages grad where it averages the SQUARED"),
    ("adam_step", _adam_moments(np.abs, lambda g: g**2), "m averages |grad| where it averages the gradient"),
    ("class_activation_map", cam_with_a_relu, "no ReLU"),
    ("class_activation_map", cam_averaged, "the K maps are summed, not averaged"),
    ("conv2d_macs", _macs(per_output=lambda C, k: C * k * k + 1), "the bias is an addition"),
    (
        "conv2d_macs",
        _macs(size=lambda n, k, s, p: math.ceil((n + 2 * p - k) / s) + 1),
        "the output size rounds down",
    ),
    ("conv2d_macs", _macs(per_output=lambda C, k: C * k), "each output is a sum of C*k*k products"),
    ("conv2d_macs", _macs(per_output=lambda C, k: k * k), "each output is a sum of C*k*k products"),
    (
        "leaky_relu_backward",
        lambda gy, x, a: np.where(x > 0, gy, a * x * gy),
        "the negative side's derivative",
    ),
    (
        "leaky_relu_backward",
        lambda gy, x, a: np.where(x > 0, gy, a),
        "the chain rule holds on the negative side",
    ),
    ("dropconnect_forward", dropconnect_without_the_bias, "the bias is missing"),
    ("dropconnect_forward", dropconnect_scaled_by_1_over_p, "scaled by 1 / p"),
    ("depthwise_separable_cost", _cost(pointwise_k=3), "the pointwise convolution is 1x1"),
    ("depthwise_separable_cost", _cost(unpadded=True), "padding k // 2 keeps the output h x w"),
    ("depthwise_separable_cost", _cost(by_layer=True), "return (params, macs), each a pair"),
]


@pytest.mark.parametrize("name, fn, says", MISTAKES, ids=[f"{m[0]}-{m[2][:24]}" for m in MISTAKES])
def test_a_common_mistake_gets_its_own_hint(name, fn, says):
    assert hint(name, fn).startswith(says)


@pytest.mark.parametrize(
    "per_output, says",
    [
        (lambda C, k: k * k, "each output sums over all C input channels"),
        (lambda C, k: C * k, "k where k*k belongs"),
    ],
)
def test_macs_short_of_c_or_of_k_is_told_apart_where_c_and_k_differ(per_output, says):
    """The public cases start with C == k, where the count short of C is the one short of k and one
    hint names both; on a case where they differ each mistake has its own."""
    ex = exercises.info("conv2d_macs")
    case = ex.cases[-1]  # N 8, C 64, k 3: no factor stands in for another
    ex = dataclasses.replace(ex, cases=[case])
    with pytest.raises(exercises.ExerciseFailed) as info:
        grading.grade(ex, calling.in_process(ex, _macs(per_output=per_output)), quick=True)
    assert str(info.value).split("\n  hint: ")[1].startswith(says)
