"""Known mistakes of convention, written as a student would write them, fail with the hint that
names them: momentum's conventions, the step taken with the buffer before its update, weight decay,
the conv's reshape, ties, one-sided padding."""

import numpy as np
import solutions as S
from mistake_hint import hint


def test_sgd_with_the_textbook_velocity():
    def sgd_momentum_step(param, grad, buf, lr, momentum, weight_decay):
        g = grad + weight_decay * param
        v = np.zeros_like(param) if buf is None else buf
        v = momentum * v - lr * g
        return param + v, v

    said = hint("sgd_momentum_step", sgd_momentum_step)
    assert said.startswith("that is the textbook velocity, v = momentum * v - lr * g; param += v")
    assert "PyTorch keeps buf = momentum * buf + g (the gradients, without lr) and param -= lr * buf" in said


def test_sgd_with_nesterov_momentum():
    def sgd_momentum_step(param, grad, buf, lr, momentum, weight_decay):
        g = grad + weight_decay * param
        buf = g if buf is None else momentum * buf + g
        return param - lr * (g + momentum * buf), buf

    assert hint("sgd_momentum_step", sgd_momentum_step).startswith("that is Nesterov momentum")


def test_sgd_with_weight_decay_of_the_wrong_sign():
    def sgd_momentum_step(param, grad, buf, lr, momentum, weight_decay):
        g = grad - weight_decay * param
        buf = g if buf is None else momentum * buf + g
        return param - lr * buf, buf

    assert hint("sgd_momentum_step", sgd_momentum_step).startswith("weight decay has the wrong sign")


def test_sgd_with_weight_decay_doubled():
    def sgd_momentum_step(param, grad, buf, lr, momentum, weight_decay):
        g = grad + 2 * weight_decay * param  # the derivative of weight_decay * |param|^2
        buf = g if buf is None else momentum * buf + g
        return param - lr * buf, buf

    assert hint("sgd_momentum_step", sgd_momentum_step).startswith("weight decay is doubled")


def test_sgd_stepping_with_the_buffer_before_its_update():
    def sgd_momentum_step(param, grad, buf, lr, momentum, weight_decay):
        g = grad + weight_decay * param
        if buf is None:
            return param - lr * g, g
        new_param = param - lr * buf  # the step before the buffer takes in g
        return new_param, momentum * buf + g

    said = hint("sgd_momentum_step", sgd_momentum_step)
    assert said.startswith("the parameter moved by the buffer from before this step")


def test_sgd_stepping_with_a_zero_buffer_first():
    def sgd_momentum_step(param, grad, buf, lr, momentum, weight_decay):
        g = grad + weight_decay * param
        buf = np.zeros_like(param) if buf is None else buf
        new_param = param - lr * buf
        buf = momentum * buf + g
        return new_param, buf

    said = hint("sgd_momentum_step", sgd_momentum_step)
    assert said.startswith("the parameter moved by the buffer from before this step")


def test_conv_backward_with_the_weights_reshaped_where_they_must_be_transposed():
    def conv2d_backward(gy, x, w, stride, padding):
        O, _, k, _ = w.shape
        gy_mat = gy.transpose(1, 0, 2, 3).reshape(O, -1)
        gw = (gy_mat @ S.im2col(x, k, stride, padding).T).reshape(w.shape)
        gx = S.col2im(w.reshape(-1, O) @ gy_mat, x.shape, k, stride, padding)
        return gx, gw, gy.sum(axis=(0, 2, 3))

    said = hint("conv2d_backward", conv2d_backward)
    assert said.startswith("gx: w.reshape(-1, O) is not the transpose of w.reshape(O, -1)")


def test_max_pool_splitting_a_tie_evenly():
    def max_pool2d_backward(gy, x, kernel_size, stride):
        k, gx = kernel_size, np.zeros_like(x)
        for i in range(gy.shape[2]):
            for j in range(gy.shape[3]):
                window = x[:, :, i * stride : i * stride + k, j * stride : j * stride + k]
                mask = window == window.max(axis=(2, 3), keepdims=True)
                share = mask * gy[:, :, i : i + 1, j : j + 1] / mask.sum(axis=(2, 3), keepdims=True)
                gx[:, :, i * stride : i * stride + k, j * stride : j * stride + k] += share
        return gx

    assert hint("max_pool2d_backward", max_pool2d_backward).startswith("ties: the gradient was split evenly")


def _pad_after(x, padding):
    """The padded array with the image in its top-left corner: the padding all after it."""
    N, C, H, W = x.shape
    xp = np.zeros((N, C, H + 2 * padding, W + 2 * padding))
    xp[:, :, :H, :W] = x
    return xp


def test_im2col_padded_on_one_side():
    def im2col(x, kernel_size, stride, padding):
        return S.im2col(_pad_after(x, padding), kernel_size, stride, 0)

    assert hint("im2col", im2col).startswith("the padding is all on one side")


def test_conv_forward_padded_on_one_side():
    def conv2d_forward(x, w, b, stride, padding):
        return S.conv2d_forward(_pad_after(x, padding), w, b, stride, 0)

    assert hint("conv2d_forward", conv2d_forward).startswith("the padding is all on one side")


def test_col2im_cut_from_the_corner():
    def col2im(cols, x_shape, kernel_size, stride, padding):
        N, C, H, W = x_shape
        padded = S.col2im(cols, (N, C, H + 2 * padding, W + 2 * padding), kernel_size, stride, 0)
        return padded[:, :, :H, :W]

    assert hint("col2im", col2im).startswith("gx was cut from the padded gradient's corner")
