"""More known mistakes of notebooks 1 to 4, each written as a student writes it, fail with the hint
that names it and no other exercise's hint: the activations' derivatives swapped, gradients averaged
over the batch, the stride ignored, reshapes that mix images and channels, the softmax over the
batch, the loss's gradient divided by K or N * K, weight decay left out, LeNet-5's ReLUs passing the
gradient at 0 and its features flattened channels last, dropout scaled by 1 / p."""

import numpy as np
import pytest
import solutions as S
from mistake_hint import hint

# --- 1. autograd ---------------------------------------------------------------------------------


def linear_gw_averaged(gy, x, w):
    return gy @ w, gy.T @ x / len(x), gy.sum(axis=0)


# --- 2. convolution --------------------------------------------------------------------------------


def _out(n, k, stride, padding):
    return (n + 2 * padding - k) // stride + 1


def im2col_without_the_stride(x, kernel_size, stride, padding):
    N, C, H, W = x.shape
    k = kernel_size
    OH, OW = _out(H, k, stride, padding), _out(W, k, stride, padding)
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    cols = np.empty((C, k, k, N, OH, OW))
    for u in range(k):
        for v in range(k):
            cols[:, u, v] = xp[:, :, u : u + OH, v : v + OW].transpose(1, 0, 2, 3)
    return cols.reshape(C * k * k, N * OH * OW)


def col2im_without_the_stride(cols, x_shape, kernel_size, stride, padding):
    N, C, H, W = x_shape
    k = kernel_size
    OH, OW = _out(H, k, stride, padding), _out(W, k, stride, padding)
    cols = cols.reshape(C, k, k, N, OH, OW)
    gx = np.zeros((N, C, H + 2 * padding, W + 2 * padding))
    for u in range(k):
        for v in range(k):
            gx[:, :, u : u + OH, v : v + OW] += cols[:, u, v].transpose(1, 0, 2, 3)
    return gx[:, :, padding : padding + H, padding : padding + W]


def col2im_reading_columns_ijn(cols, x_shape, kernel_size, stride, padding):
    N, C, H, W = x_shape
    k = kernel_size
    OH, OW = _out(H, k, stride, padding), _out(W, k, stride, padding)
    cols = cols.reshape(C, k, k, OH, OW, N)
    gx = np.zeros((N, C, H + 2 * padding, W + 2 * padding))
    for u in range(k):
        for v in range(k):
            taps = cols[:, u, v].transpose(3, 0, 1, 2)
            gx[:, :, u : u + stride * OH : stride, v : v + stride * OW : stride] += taps
    return gx[:, :, padding : padding + H, padding : padding + W]


def conv_forward_reshaped_without_transpose(x, w, b, stride, padding):
    N, C, H, W = x.shape
    O, _, k, _ = w.shape
    OH, OW = _out(H, k, stride, padding), _out(W, k, stride, padding)
    y = w.reshape(O, -1) @ S.im2col(x, k, stride, padding) + b[:, None]
    return y.reshape(N, O, OH, OW)


def conv_forward_bias_on_the_last_axis(x, w, b, stride, padding):
    N, C, H, W = x.shape
    O, _, k, _ = w.shape
    OH, OW = _out(H, k, stride, padding), _out(W, k, stride, padding)
    y = w.reshape(O, -1) @ S.im2col(x, k, stride, padding)
    return y.reshape(O, N, OH, OW).transpose(1, 0, 2, 3) + b


def conv_backward_gy_reshaped_without_transpose(gy, x, w, stride, padding):
    O, _, k, _ = w.shape
    gy_mat = gy.reshape(O, -1)
    gw = (gy_mat @ S.im2col(x, k, stride, padding).T).reshape(w.shape)
    gx = S.col2im(w.reshape(O, -1).T @ gy_mat, x.shape, k, stride, padding)
    return gx, gw, gy.sum(axis=(0, 2, 3))


def conv_backward_gw_averaged(gy, x, w, stride, padding):
    O, _, k, _ = w.shape
    gy_mat = gy.transpose(1, 0, 2, 3).reshape(O, -1)
    gw = (gy_mat @ S.im2col(x, k, stride, padding).T).reshape(w.shape) / x.shape[0]
    gx = S.col2im(w.reshape(O, -1).T @ gy_mat, x.shape, k, stride, padding)
    return gx, gw, gy.sum(axis=(0, 2, 3))


# --- 3. LeNet-5: pooling, the loss, SGD ---------------------------------------------------------------


def max_pool_without_the_stride(gy, x, kernel_size, stride):
    k, gx = kernel_size, np.zeros_like(x)
    N, C, OH, OW = gy.shape
    for n in range(N):
        for c in range(C):
            for i in range(OH):
                for j in range(OW):
                    u, v = np.unravel_index(np.argmax(x[n, c, i : i + k, j : j + k]), (k, k))
                    gx[n, c, i + u, j + v] += gy[n, c, i, j]
    return gx


def avg_pool_without_the_stride(gy, x_shape, kernel_size, stride):
    k, gx = kernel_size, np.zeros(x_shape)
    for i in range(gy.shape[2]):
        for j in range(gy.shape[3]):
            gx[:, :, i : i + k, j : j + k] += gy[:, :, i : i + 1, j : j + 1] / (k * k)
    return gx


def _cross_entropy(axis=1, every_row=False):
    def softmax_cross_entropy_backward(logits, labels):
        N = logits.shape[0]
        p = np.exp(logits - logits.max(axis=axis, keepdims=True))
        p /= p.sum(axis=axis, keepdims=True)
        if every_row:
            p[:, labels] -= 1
        else:
            p[np.arange(N), labels] -= 1
        return p / N

    return softmax_cross_entropy_backward


def _cross_entropy_divided(by):
    def softmax_cross_entropy_backward(logits, labels):
        N, K = logits.shape
        p = np.exp(logits - logits.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        p[np.arange(N), labels] -= 1
        return p / by(N, K)

    return softmax_cross_entropy_backward


def cross_entropy_sign_flipped(logits, labels):
    N = logits.shape[0]
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    onehot = np.zeros_like(p)
    onehot[np.arange(N), labels] = 1
    return (onehot - p) / N


def sgd_without_weight_decay(param, grad, buf, lr, momentum, weight_decay):
    buf = grad.copy() if buf is None else momentum * buf + grad
    return param - lr * buf, buf


def lenet_relu_from_zero(params, x, labels):
    p, g, N = params, {}, len(x)
    h1 = S.conv2d_forward(x, p["conv1.weight"], p["conv1.bias"], 1, 2)
    m1 = S._max_pool2d(np.maximum(h1, 0), 2, 2)
    h2 = S.conv2d_forward(m1, p["conv2.weight"], p["conv2.bias"], 1, 0)
    m2 = S._max_pool2d(np.maximum(h2, 0), 2, 2)
    h3 = m2.reshape(N, -1) @ p["fc1.weight"].T + p["fc1.bias"]
    h4 = np.maximum(h3, 0) @ p["fc2.weight"].T + p["fc2.bias"]
    logits = np.maximum(h4, 0) @ p["fc3.weight"].T + p["fc3.bias"]
    gl = S.softmax_cross_entropy_backward(logits, labels)
    ga4, g["fc3.weight"], g["fc3.bias"] = S.linear_backward(gl, np.maximum(h4, 0), p["fc3.weight"])
    ga3, g["fc2.weight"], g["fc2.bias"] = S.linear_backward(
        ga4 * (h4 >= 0), np.maximum(h3, 0), p["fc2.weight"]
    )
    gf, g["fc1.weight"], g["fc1.bias"] = S.linear_backward(
        ga3 * (h3 >= 0), m2.reshape(N, -1), p["fc1.weight"]
    )
    ga2 = S.max_pool2d_backward(gf.reshape(m2.shape), np.maximum(h2, 0), 2, 2)
    gm1, g["conv2.weight"], g["conv2.bias"] = S.conv2d_backward(ga2 * (h2 >= 0), m1, p["conv2.weight"], 1, 0)
    ga1 = S.max_pool2d_backward(gm1, np.maximum(h1, 0), 2, 2)
    _, g["conv1.weight"], g["conv1.bias"] = S.conv2d_backward(ga1 * (h1 >= 0), x, p["conv1.weight"], 1, 2)
    return logits, g


def lenet_flattened_hwc(params, x, labels):
    p, g, N = params, {}, len(x)
    h1 = S.conv2d_forward(x, p["conv1.weight"], p["conv1.bias"], 1, 2)
    m1 = S._max_pool2d(np.maximum(h1, 0), 2, 2)
    h2 = S.conv2d_forward(m1, p["conv2.weight"], p["conv2.bias"], 1, 0)
    m2 = S._max_pool2d(np.maximum(h2, 0), 2, 2)
    f = m2.transpose(0, 2, 3, 1).reshape(N, -1)  # channels last, then flattened
    h3 = f @ p["fc1.weight"].T + p["fc1.bias"]
    h4 = np.maximum(h3, 0) @ p["fc2.weight"].T + p["fc2.bias"]
    logits = np.maximum(h4, 0) @ p["fc3.weight"].T + p["fc3.bias"]
    gl = S.softmax_cross_entropy_backward(logits, labels)
    ga4, g["fc3.weight"], g["fc3.bias"] = S.linear_backward(gl, np.maximum(h4, 0), p["fc3.weight"])
    ga3, g["fc2.weight"], g["fc2.bias"] = S.linear_backward(
        ga4 * (h4 > 0), np.maximum(h3, 0), p["fc2.weight"]
    )
    gf, g["fc1.weight"], g["fc1.bias"] = S.linear_backward(ga3 * (h3 > 0), f, p["fc1.weight"])
    gm2 = gf.reshape(N, 5, 5, 16).transpose(0, 3, 1, 2)  # back to (N, C, H, W) the same way
    ga2 = S.max_pool2d_backward(gm2, np.maximum(h2, 0), 2, 2)
    gm1, g["conv2.weight"], g["conv2.bias"] = S.conv2d_backward(ga2 * (h2 > 0), m1, p["conv2.weight"], 1, 0)
    ga1 = S.max_pool2d_backward(gm1, np.maximum(h1, 0), 2, 2)
    _, g["conv1.weight"], g["conv1.bias"] = S.conv2d_backward(ga1 * (h1 > 0), x, p["conv1.weight"], 1, 2)
    return logits, g


MISTAKES = [
    ("sigmoid_backward", lambda gy, y: gy * (1 - y**2), "that is tanh's derivative"),
    ("tanh_backward", lambda gy, y: gy * y * (1 - y), "that is sigmoid's derivative"),
    ("tanh_backward", lambda gy, y: gy * (1 - y), "the square is missing"),
    ("tanh_backward", lambda gy, y: gy * (1 - y) ** 2, "1 - y^2 is 1 - y*y, not (1 - y)^2"),
    ("linear_backward", linear_gw_averaged, "gw is divided by N"),
    ("im2col", im2col_without_the_stride, "stride is ignored"),
    ("col2im", col2im_without_the_stride, "stride is ignored"),
    ("col2im", col2im_reading_columns_ijn, "the columns are ordered (n, i, j)"),
    ("conv2d_forward", conv_forward_reshaped_without_transpose, "the product W @ cols has shape"),
    ("conv2d_forward", conv_forward_bias_on_the_last_axis, "the bias was added along the last axis"),
    ("conv2d_backward", conv_backward_gy_reshaped_without_transpose, "gy.reshape(O, -1) mixes images"),
    ("conv2d_backward", conv_backward_gw_averaged, "gw is divided by N"),
    ("max_pool2d_backward", max_pool_without_the_stride, "stride is ignored"),
    ("avg_pool2d_backward", avg_pool_without_the_stride, "stride is ignored"),
    ("softmax_cross_entropy_backward", cross_entropy_sign_flipped, "the sign is flipped"),
    ("softmax_cross_entropy_backward", _cross_entropy(axis=0), "the softmax is taken over axis 0"),
    ("softmax_cross_entropy_backward", _cross_entropy(every_row=True), "p[:, labels] -= 1 subtracts 1"),
    (
        "softmax_cross_entropy_backward",
        _cross_entropy_divided(lambda N, K: K),
        "divided by the number of classes K",
    ),
    ("softmax_cross_entropy_backward", _cross_entropy_divided(lambda N, K: N * K), "divided by N * K"),
    ("sgd_momentum_step", sgd_without_weight_decay, "weight decay is left out"),
    ("lenet5_forward_backward", lenet_relu_from_zero, "at 0 a ReLU's gradient is 0"),
    (
        "lenet5_forward_backward",
        lenet_flattened_hwc,
        "the pooled (N, 16, 5, 5) map was flattened in (H, W, C)",
    ),
    ("inverted_dropout", lambda x, p, u: np.where(u >= p, x / p, 0.0), "scaled by 1 / p"),
]


@pytest.mark.parametrize("name, fn, says", MISTAKES, ids=[f"{m[0]}-{m[2][:24]}" for m in MISTAKES])
def test_a_common_mistake_gets_its_own_hint(name, fn, says):
    assert hint(name, fn).startswith(says)
