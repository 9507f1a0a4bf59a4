"""Each known mistake, written as a student would write it, fails with the hint that names it
(momentum's conventions, weight decay, ties, one-sided padding: test_mistakes_conventions.py)."""

import numpy as np
import pytest
import solutions as S
from mistake_hint import hint

from minicnn import exercises

# --- the mistakes the course is about ---------------------------------------------------------------


def test_col2im_with_assignment():
    def col2im(cols, x_shape, kernel_size, stride, padding):
        N, C, H, W = x_shape
        k = kernel_size
        OH, OW = (H + 2 * padding - k) // stride + 1, (W + 2 * padding - k) // stride + 1
        cols = cols.reshape(C, k, k, N, OH, OW)
        gx = np.zeros((N, C, H + 2 * padding, W + 2 * padding))
        for n in range(N):
            for i in range(OH):
                for j in range(OW):
                    gx[n, :, i * stride : i * stride + k, j * stride : j * stride + k] = cols[
                        :, :, :, n, i, j
                    ]
        return gx[:, :, padding : padding + H, padding : padding + W]

    assert "`=` where it must be `+=`" in hint("col2im", col2im)


def test_col2im_with_assignment_looping_over_taps():
    def col2im(cols, x_shape, kernel_size, stride, padding):
        N, C, H, W = x_shape
        k = kernel_size
        OH, OW = (H + 2 * padding - k) // stride + 1, (W + 2 * padding - k) // stride + 1
        cols = cols.reshape(C, k, k, N, OH, OW)
        gx = np.zeros((N, C, H + 2 * padding, W + 2 * padding))
        for u in range(k):
            for v in range(k):
                taps = cols[:, u, v].transpose(1, 0, 2, 3)
                gx[:, :, u : u + stride * OH : stride, v : v + stride * OW : stride] = taps
        return gx[:, :, padding : padding + H, padding : padding + W]

    assert "overlapping windows" in hint("col2im", col2im)


def test_cross_entropy_not_divided_by_batch():
    def softmax_cross_entropy_backward(logits, labels):
        p = np.exp(logits - logits.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        p[np.arange(len(labels)), labels] -= 1
        return p

    message = hint("softmax_cross_entropy_backward", softmax_cross_entropy_backward)
    assert "not divided by the batch size" in message


def test_batch_norm_with_constant_statistics():
    def batch_norm_backward(gy, x, gamma, eps):
        mean = x.mean(axis=(0, 2, 3), keepdims=True)
        var = x.var(axis=(0, 2, 3), keepdims=True)
        xhat = (x - mean) / np.sqrt(var + eps)
        gx = gy * gamma[None, :, None, None] / np.sqrt(var + eps)
        return gx, (gy * xhat).sum(axis=(0, 2, 3)), gy.sum(axis=(0, 2, 3))

    assert "mean and variance were treated as constants" in hint("batch_norm_backward", batch_norm_backward)


def test_max_pool_to_every_tied_maximum():
    def max_pool2d_backward(gy, x, kernel_size, stride):
        k, gx = kernel_size, np.zeros_like(x)
        for i in range(gy.shape[2]):
            for j in range(gy.shape[3]):
                window = x[:, :, i * stride : i * stride + k, j * stride : j * stride + k]
                mask = window == window.max(axis=(2, 3), keepdims=True)
                share = mask * gy[:, :, i : i + 1, j : j + 1]
                gx[:, :, i * stride : i * stride + k, j * stride : j * stride + k] += share
        return gx

    assert "every tied maximum" in hint("max_pool2d_backward", max_pool2d_backward)


def _full_conv_backward(kernel_for_gx):
    """A conv backward whose gx is a full convolution of gy (stride 1) with a prepared kernel."""

    def conv2d_backward(gy, x, w, stride, padding):
        _, gw, gb = S.conv2d_backward(gy, x, w, stride, padding)
        k = w.shape[2]
        kernel = kernel_for_gx(w)
        gx = S.conv2d_forward(gy, kernel, np.zeros(kernel.shape[0]), 1, k - 1 - padding)
        return gx, gw, gb

    return conv2d_backward


def test_conv_backward_full_convolution_is_right_with_the_rotated_kernel():
    """The stride-1 full convolution that the mistakes below get wrong passes the first case."""
    backward = _full_conv_backward(lambda w: w.transpose(1, 0, 2, 3)[:, :, ::-1, ::-1])
    with pytest.raises(exercises.ExerciseFailed, match="case 2 of 6"):  # case 2 has stride 2
        exercises.check("conv2d_backward", backward)


def test_conv_backward_with_unflipped_kernel():
    backward = _full_conv_backward(lambda w: w.transpose(1, 0, 2, 3))
    assert "unflipped" in hint("conv2d_backward", backward)


def test_conv_backward_with_kernel_transposed_instead_of_rotated():
    backward = _full_conv_backward(lambda w: w.transpose(1, 0, 3, 2))
    assert "transposed (u and v swapped)" in hint("conv2d_backward", backward)


def test_conv_backward_without_the_channel_transpose():
    backward = _full_conv_backward(lambda w: w[:, :, ::-1, ::-1])
    assert "in and out channels are not swapped" in hint("conv2d_backward", backward)


def test_conv_backward_with_gw_transposed():
    def conv2d_backward(gy, x, w, stride, padding):
        O, _, k, _ = w.shape
        gy_mat = gy.transpose(1, 0, 2, 3).reshape(O, -1)
        gw = (S.im2col(x, k, stride, padding) @ gy_mat.T).reshape(w.shape)
        gx = S.col2im(w.reshape(O, -1).T @ gy_mat, x.shape, k, stride, padding)
        return gx, gw, gy.sum(axis=(0, 2, 3))

    assert "gw is the wrong transpose" in hint("conv2d_backward", conv2d_backward)


def test_weight_decay_after_momentum():
    def sgd_momentum_step(param, grad, buf, lr, momentum, weight_decay):
        buf = grad.copy() if buf is None else momentum * buf + grad
        return param - lr * (buf + weight_decay * param), buf

    assert "weight decay was added after momentum" in hint("sgd_momentum_step", sgd_momentum_step)


# --- the other exercises' mistakes --------------------------------------------------------------------


def test_topo_sort_breadth_first():
    def topo_sort(root, inputs):
        order, queue = [], [root]
        while queue:
            node = queue.pop(0)
            if node not in order:
                order.append(node)
                queue += inputs[node]
        return order

    assert "breadth-first" in hint("topo_sort", topo_sort)


def test_topo_sort_post_order_never_reversed():
    def topo_sort(root, inputs):
        order, seen = [], set()

        def build(node):
            if node not in seen:
                seen.add(node)
                for parent in inputs[node]:
                    build(parent)
                order.append(node)

        build(root)
        return order

    assert "post-order, inputs before the nodes that use them" in hint("topo_sort", topo_sort)


def test_topo_sort_post_order_from_a_stack_never_reversed():
    def topo_sort(root, inputs):  # inputs visited last first: another post-order, still leaves first
        order, seen, stack = [], set(), [(root, False)]
        while stack:
            node, done = stack.pop()
            if done:
                order.append(node)
            elif node not in seen:
                seen.add(node)
                stack.append((node, True))
                stack += [(parent, False) for parent in inputs[node] if parent not in seen]
        return order

    assert "so reverse it" in hint("topo_sort", topo_sort)


def test_topo_sort_pre_order():
    def topo_sort(root, inputs):
        order = []

        def visit(node):
            if node not in order:
                order.append(node)
                for parent in inputs[node]:
                    visit(parent)

        visit(root)
        return order

    assert "PRE-order" in hint("topo_sort", topo_sort)


def test_sigmoid_without_the_incoming_gradient():
    assert "chain rule" in hint("sigmoid_backward", lambda gy, y: y * (1 - y))


def test_tanh_applied_twice():
    assert "already tanh" in hint("tanh_backward", lambda gy, y: gy * (1 - np.tanh(y) ** 2))


def test_linear_bias_gradient_as_mean():
    assert "SUM of gy" in hint("linear_backward", lambda gy, x, w: (gy @ w, gy.T @ x, gy.mean(axis=0)))


def test_im2col_rows_in_the_wrong_order():
    def im2col(x, kernel_size, stride, padding):
        cols = S.im2col(x, kernel_size, stride, padding)
        C, k = x.shape[1], kernel_size
        return cols.reshape(C, k * k, -1).transpose(1, 0, 2).reshape(C * k * k, -1)

    assert "rows are ordered (u, v, c)" in hint("im2col", im2col)


def test_conv_forward_as_a_true_convolution():
    assert "kernel is flipped" in hint(
        "conv2d_forward", lambda x, w, b, s, p: S.conv2d_forward(x, w[:, :, ::-1, ::-1], b, s, p)
    )


def test_avg_pool_not_divided():
    def avg_pool2d_backward(gy, x_shape, kernel_size, stride):
        return S.avg_pool2d_backward(gy, x_shape, kernel_size, stride) * kernel_size**2

    assert "divided by its k*k cells" in hint("avg_pool2d_backward", avg_pool2d_backward)


def test_cross_entropy_overflow():
    def softmax_cross_entropy_backward(logits, labels):
        with np.errstate(over="ignore", invalid="ignore"):
            p = np.exp(logits)
            p = p / p.sum(axis=1, keepdims=True)
        p[np.arange(len(labels)), labels] -= 1
        return p / len(labels)

    message = hint("softmax_cross_entropy_backward", softmax_cross_entropy_backward)
    assert "subtract each row's maximum" in message


def test_dropout_without_scaling():
    assert "not scaled" in hint("inverted_dropout", lambda x, p, u: x * (u >= p))


def test_lrn_denominator_as_a_constant():
    def lrn_backward(gy, x, size, alpha, beta, k):
        C, s = x.shape[1], np.empty_like(x)
        for c in range(C):
            window = x[:, max(c - size // 2, 0) : c + (size - 1) // 2 + 1]
            s[:, c] = k + alpha / size * (window**2).sum(axis=1)
        return gy * s**-beta

    assert "treated as a constant" in hint("lrn_backward", lrn_backward)


def test_conv1x1_reshape_without_transpose():
    def conv1x1_forward(x, w, b):
        N, C, H, W = x.shape
        return (w.reshape(-1, C) @ x.reshape(C, -1)).reshape(N, -1, H, W) + b[None, :, None, None]

    message = hint("conv1x1_forward", conv1x1_forward)
    assert "mixes images and channels" in message


def test_batch_norm_with_unbiased_variance():
    def batch_norm_backward(gy, x, gamma, eps):
        axes, m = (0, 2, 3), x.size // x.shape[1]
        mean = x.mean(axis=axes, keepdims=True)
        invstd = 1 / np.sqrt(x.var(axis=axes, ddof=1, keepdims=True) + eps)
        xhat = (x - mean) * invstd
        g = gy * gamma[None, :, None, None]
        gx = invstd * (
            g - g.mean(axis=axes, keepdims=True) - xhat * (g * xhat).sum(axis=axes, keepdims=True) / (m - 1)
        )
        return gx, (gy * xhat).sum(axis=axes), gy.sum(axis=axes)

    assert "biased one" in hint("batch_norm_backward", batch_norm_backward)


def test_residual_without_the_shortcut_gradient():
    def residual_block_backward(gy, x, w1, b1, w2, b2):
        gx, *rest = S.residual_block_backward(gy, x, w1, b1, w2, b2)
        z = x + np.maximum(x @ w1.T + b1, 0) @ w2.T + b2
        return (gx - gy * (z > 0), *rest)

    assert "shortcut" in hint("residual_block_backward", residual_block_backward)


def test_adam_without_bias_correction():
    def adam_step(param, grad, m, v, t, lr, beta1, beta2, eps):
        m = beta1 * m + (1 - beta1) * grad
        v = beta2 * v + (1 - beta2) * grad**2
        return param - lr * m / (np.sqrt(v) + eps), m, v

    assert "no bias correction" in hint("adam_step", adam_step)


def test_cam_with_the_first_images_class():
    def class_activation_map(features, weight, labels):
        return np.einsum("k,nkhw->nhw", weight[labels[0]], features)

    assert "first image's class" in hint("class_activation_map", class_activation_map)


def test_macs_for_one_image():
    def conv2d_macs(x_shape, w_shape, stride, padding):
        return S.conv2d_macs(x_shape, w_shape, stride, padding) // x_shape[0]

    assert "for one image" in hint("conv2d_macs", conv2d_macs)


def test_lenet_gradients_of_the_summed_loss():
    def lenet5_forward_backward(params, x, labels):
        logits, grads = S.lenet5_forward_backward(params, x, labels)
        return logits, {k: g * len(x) for k, g in grads.items()}

    assert "MEAN cross-entropy" in hint("lenet5_forward_backward", lenet5_forward_backward)
