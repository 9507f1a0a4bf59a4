"""Reference solutions of every exercise, for instructors: kept with the tests, which prove each
exercise can be passed, and not installed with the package.

Written the way a student would write them: plain NumPy and a few loops, nothing imported
from minicnn. Each passes ``exercises.check`` and ``python -m minicnn check``.
``python notebooks/run_all.py`` runs the notebooks with them in place of the stubs.
"""

import numpy as np

# --- 1. autograd -------------------------------------------------------------


def topo_sort(root, inputs):
    order, seen = [], set()

    def visit(node):  # depth-first, a node after all its inputs
        if node in seen:
            return
        seen.add(node)
        for parent in inputs[node]:
            visit(parent)
        order.append(node)

    visit(root)
    return order[::-1]  # reversed: each node before the nodes it was made from


def sigmoid_backward(gy, y):
    return gy * y * (1 - y)


def tanh_backward(gy, y):
    return gy * (1 - y * y)


def linear_backward(gy, x, w):
    return gy @ w, gy.T @ x, gy.sum(axis=0)


# --- 2. convolution ----------------------------------------------------------


def _out_size(n, k, stride, padding):
    return (n + 2 * padding - k) // stride + 1


def im2col(x, kernel_size, stride, padding):
    N, C, H, W = x.shape
    k = kernel_size
    OH, OW = _out_size(H, k, stride, padding), _out_size(W, k, stride, padding)
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    cols = np.empty((C, k, k, N, OH, OW), dtype=x.dtype)
    for u in range(k):
        for v in range(k):
            # tap (u, v) of every window: one strided slice of the padded input
            window = xp[:, :, u : u + stride * OH : stride, v : v + stride * OW : stride]
            cols[:, u, v] = window.transpose(1, 0, 2, 3)
    return cols.reshape(C * k * k, N * OH * OW)


def col2im(cols, x_shape, kernel_size, stride, padding):
    N, C, H, W = x_shape
    k = kernel_size
    OH, OW = _out_size(H, k, stride, padding), _out_size(W, k, stride, padding)
    cols = cols.reshape(C, k, k, N, OH, OW)
    gx = np.zeros((N, C, H + 2 * padding, W + 2 * padding), dtype=cols.dtype)
    for u in range(k):
        for v in range(k):
            # += : overlapping windows read the same pixel, so their gradients add up
            taps = cols[:, u, v].transpose(1, 0, 2, 3)
            gx[:, :, u : u + stride * OH : stride, v : v + stride * OW : stride] += taps
    return gx[:, :, padding : padding + H, padding : padding + W]


def conv2d_forward(x, w, b, stride, padding):
    N, C, H, W = x.shape
    O, _, k, _ = w.shape
    OH, OW = _out_size(H, k, stride, padding), _out_size(W, k, stride, padding)
    y = w.reshape(O, -1) @ im2col(x, k, stride, padding) + b[:, None]
    return y.reshape(O, N, OH, OW).transpose(1, 0, 2, 3)


def conv2d_backward(gy, x, w, stride, padding):
    O, _, k, _ = w.shape
    gy_mat = gy.transpose(1, 0, 2, 3).reshape(O, -1)  # (O, N*OH*OW)
    gw = (gy_mat @ im2col(x, k, stride, padding).T).reshape(w.shape)
    gx = col2im(w.reshape(O, -1).T @ gy_mat, x.shape, k, stride, padding)
    return gx, gw, gy.sum(axis=(0, 2, 3))


# --- 3. LeNet-5: pooling, the loss, SGD --------------------------------------


def _taps(a, k, stride, OH, OW):
    """The k*k taps of every window: taps[u*k + v] = a[:, :, i*stride + u, j*stride + v] for all (i, j)."""
    return np.stack(
        [
            a[:, :, u : u + stride * OH : stride, v : v + stride * OW : stride]
            for u in range(k)
            for v in range(k)
        ]
    )


def max_pool2d_backward(gy, x, kernel_size, stride):
    k = kernel_size
    OH, OW = gy.shape[2:]
    first = np.argmax(_taps(x, k, stride, OH, OW), axis=0)  # argmax picks the first of tied maxima
    gx = np.zeros_like(x)
    for u in range(k):
        for v in range(k):
            # += : where windows overlap, one pixel can be the maximum of several
            gx[:, :, u : u + stride * OH : stride, v : v + stride * OW : stride] += gy * (first == u * k + v)
    return gx


def avg_pool2d_backward(gy, x_shape, kernel_size, stride):
    k = kernel_size
    gx = np.zeros(x_shape, dtype=gy.dtype)
    for i in range(gy.shape[2]):
        for j in range(gy.shape[3]):
            share = gy[:, :, i : i + 1, j : j + 1] / (k * k)
            gx[:, :, i * stride : i * stride + k, j * stride : j * stride + k] += share
    return gx


def softmax_cross_entropy_backward(logits, labels):
    N = logits.shape[0]
    z = logits - logits.max(axis=1, keepdims=True)  # exp of a large logit would overflow
    p = np.exp(z)
    p /= p.sum(axis=1, keepdims=True)
    p[np.arange(N), labels] -= 1
    return p / N


def sgd_momentum_step(param, grad, buf, lr, momentum, weight_decay):
    g = grad + weight_decay * param
    buf = g.copy() if buf is None else momentum * buf + g
    return param - lr * buf, buf


def _max_pool2d(x, k, stride):
    OH, OW = _out_size(x.shape[2], k, stride, 0), _out_size(x.shape[3], k, stride, 0)
    return _taps(x, k, stride, OH, OW).max(axis=0)


def lenet5_forward_backward(params, x, labels):
    p = params
    h1 = conv2d_forward(x, p["conv1.weight"], p["conv1.bias"], 1, 2)
    a1 = np.maximum(h1, 0)
    m1 = _max_pool2d(a1, 2, 2)
    h2 = conv2d_forward(m1, p["conv2.weight"], p["conv2.bias"], 1, 0)
    a2 = np.maximum(h2, 0)
    m2 = _max_pool2d(a2, 2, 2)
    f = m2.reshape(len(x), -1)
    h3 = f @ p["fc1.weight"].T + p["fc1.bias"]
    a3 = np.maximum(h3, 0)
    h4 = a3 @ p["fc2.weight"].T + p["fc2.bias"]
    a4 = np.maximum(h4, 0)
    logits = a4 @ p["fc3.weight"].T + p["fc3.bias"]
    g = {}
    gl = softmax_cross_entropy_backward(logits, labels)
    ga4, g["fc3.weight"], g["fc3.bias"] = linear_backward(gl, a4, p["fc3.weight"])
    ga3, g["fc2.weight"], g["fc2.bias"] = linear_backward(ga4 * (h4 > 0), a3, p["fc2.weight"])
    gf, g["fc1.weight"], g["fc1.bias"] = linear_backward(ga3 * (h3 > 0), f, p["fc1.weight"])
    ga2 = max_pool2d_backward(gf.reshape(m2.shape), a2, 2, 2)
    gm1, g["conv2.weight"], g["conv2.bias"] = conv2d_backward(ga2 * (h2 > 0), m1, p["conv2.weight"], 1, 0)
    ga1 = max_pool2d_backward(gm1, a1, 2, 2)
    _, g["conv1.weight"], g["conv1.bias"] = conv2d_backward(ga1 * (h1 > 0), x, p["conv1.weight"], 1, 2)
    return logits, g


# --- 4. AlexNet's tricks -----------------------------------------------------


def inverted_dropout(x, p, u):
    return np.where(u >= p, x / (1 - p), 0.0)


def lrn_backward(gy, x, size, alpha, beta, k):
    C = x.shape[1]
    s = np.empty_like(x)
    for c in range(C):
        lo, hi = max(c - size // 2, 0), min(c + (size - 1) // 2 + 1, C)
        s[:, c] = k + alpha / size * (x[:, lo:hi] ** 2).sum(axis=1)
    gx = gy * s**-beta
    t = gy * x * s ** (-beta - 1)
    for c in range(C):
        # x_c sits in the windows of the channels c - (size-1)//2 .. c + size//2
        lo, hi = max(c - (size - 1) // 2, 0), min(c + size // 2 + 1, C)
        gx[:, c] -= 2 * alpha * beta / size * x[:, c] * t[:, lo:hi].sum(axis=1)
    return gx


# --- 5. deeper: receptive fields, 1x1 convolutions ---------------------------


def receptive_field(layers):
    r, j = 1, 1  # the input: one pixel, one pixel apart
    for k, s in layers:
        r += (k - 1) * j  # k - 1 more units of the layer below, j input pixels apart
        j *= s  # this layer's stride spaces its own units, which the next layer reads
    return r, j


def conv1x1_forward(x, w, b):
    N, C, H, W = x.shape
    O = w.shape[0]
    y = w.reshape(O, C) @ x.transpose(1, 0, 2, 3).reshape(C, N * H * W)  # channels first, then reshape
    return y.reshape(O, N, H, W).transpose(1, 0, 2, 3) + b[None, :, None, None]


def inception_cost(c_in, h, w, c1, c3_reduce, c3, c5_reduce, c5, pool_proj):
    # each conv: out * in * k * k weights, each used once per output pixel (every branch keeps h x w);
    # the max pool costs no multiply-adds
    naive = c1 * c_in + c3 * c_in * 9 + c5 * c_in * 25
    branch3 = c3_reduce * c_in + c3 * c3_reduce * 9  # the 1x1 reduction, then the 3x3 on fewer channels
    branch5 = c5_reduce * c_in + c5 * c5_reduce * 25
    reduced = c1 * c_in + branch3 + branch5 + pool_proj * c_in  # the last: the projection after the pool
    channels = (c1 + c3 + c5 + c_in, c1 + c3 + c5 + pool_proj)  # the naive pool passes c_in channels on
    return (naive * h * w, reduced * h * w), channels


# --- 6. ResNet and batch norm ------------------------------------------------


def batch_norm_backward(gy, x, gamma, eps):
    axes = (0, 2, 3)
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True)
    invstd = 1 / np.sqrt(var + eps)
    xhat = (x - mean) * invstd
    gxhat = gy * gamma[None, :, None, None]
    gx = invstd * (
        gxhat - gxhat.mean(axis=axes, keepdims=True) - xhat * (gxhat * xhat).mean(axis=axes, keepdims=True)
    )
    return gx, (gy * xhat).sum(axis=axes), gy.sum(axis=axes)


def residual_block_backward(gy, x, w1, b1, w2, b2):
    h = x @ w1.T + b1
    a = np.maximum(h, 0)
    z = x + a @ w2.T + b2
    g = gy * (z > 0)  # through the last ReLU
    ga, gw2, gb2 = linear_backward(g, a, w2)
    gx_branch, gw1, gb1 = linear_backward(ga * (h > 0), x, w1)
    return g + gx_branch, gw1, gb1, gw2, gb2  # the shortcut passes g straight to x


# --- 7. fine-tuning: Adam ----------------------------------------------------


def adam_step(param, grad, m, v, t, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad * grad
    m_hat = m / (1 - beta1**t)
    v_hat = v / (1 - beta2**t)
    return param - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def finetune_sgd_step(params, grads, until, lr, weight_decay):
    layers = [name.split(".")[0] for name in params]  # each parameter's layer, in the network's order
    last_frozen = len(layers) - 1 - layers[::-1].index(until)  # until's last parameter
    new = {}
    for i, (name, p) in enumerate(params.items()):
        if i <= last_frozen:
            new[name] = p.copy()  # frozen: no gradient, so SGD skips it, weight decay included
        else:
            new[name] = p - lr * (grads[name] + weight_decay * p)
    return new


# --- 8. visualizing: class activation maps -----------------------------------


def class_activation_map(features, weight, labels):
    return np.einsum("nk,nkhw->nhw", weight[labels], features)


def saliency_map(x, w1, b1, w2, b2, labels):
    N = x.shape[0]
    pre = x.reshape(N, -1) @ w1.T + b1
    g_h = w2[labels] * (pre > 0)  # d score[n, labels[n]] / d pre: the label's row of w2, through the ReLU
    g_x = (g_h @ w1).reshape(x.shape)
    return np.abs(g_x).max(axis=1)  # the largest magnitude over the channels


# --- 9. where the time goes --------------------------------------------------


def conv2d_macs(x_shape, w_shape, stride, padding):
    N, C, H, W = x_shape
    O, _, KH, KW = w_shape
    OH, OW = (H + 2 * padding - KH) // stride + 1, (W + 2 * padding - KW) // stride + 1
    return N * O * OH * OW * C * KH * KW


# --- 10. dead units, DropConnect, depth and cost -----------------------------


def leaky_relu_backward(gy, x, negative_slope):
    return gy * np.where(x > 0, 1.0, negative_slope)  # x = 0 takes the negative slope, as PyTorch


def dropconnect_forward(x, w, b, p, u):
    y = np.empty((x.shape[0], w.shape[0]), dtype=x.dtype)
    for n in range(x.shape[0]):
        thinned = (u[n] >= p) * w / (1 - p)  # example n's own mask over the weights
        y[n] = thinned @ x[n] + b
    return y


def depthwise_separable_cost(c_in, c_out, k, h, w):
    standard = c_out * c_in * k * k
    separable = c_in * k * k + c_in * c_out  # one k x k filter per channel, then the 1x1
    # stride 1 and padding k // 2 keep the output h x w; each weight is used once per output pixel
    return (standard, separable), (standard * h * w, separable * h * w)


def multiclass_svm_loss_backward(scores, y, margin):
    N, C = scores.shape
    rows = np.arange(N)
    margins = np.maximum(0.0, margin - scores[rows, y][:, None] + scores)
    margins[rows, y] = 0.0  # the sum runs over j != y_i
    loss = margins.sum() / (N * C)
    g = (margins > 0).astype(scores.dtype)  # the hinge's slope: 1 where a term is > 0, 0 at the kink
    g[rows, y] = -g.sum(axis=1)  # each active term holds -scores[i, y_i]
    return loss, g / (N * C)
