"""A hint is said only where the case shows it: a known mistake's where its answer is the student's on
the failing case and the right one on every case passed before; float32's where the answer is off
the way float32 work is; none with hints=False or --no-hints."""

import dataclasses
import json

import numpy as np
import pytest
import solutions as S
from mistake_hint import hint

from minicnn import exercises
from minicnn.__main__ import main
from minicnn.exercises import calling, grading


def failure(name, fn, **kwargs):
    with pytest.raises(exercises.ExerciseFailed) as info:
        exercises.check(name, fn, quick=True, **kwargs)
    return str(info.value)


# --- a coincidence is no mistake ------------------------------------------------------------------


def test_a_mistake_that_would_have_failed_a_case_the_student_passed_is_not_named():
    doubled = exercises.Mistake("doubled", lambda gy, y: 2 * gy * y * (1 - y))
    doubled_after_the_first = exercises.Mistake(
        "doubled after the first case", lambda gy, y: gy * y * (1 - y) * (1 if gy.shape == (5,) else 2)
    )
    for mistakes, said in [
        ([doubled], ""),
        ([doubled, doubled_after_the_first], "doubled after the first case"),
    ]:
        ex = dataclasses.replace(exercises.info("sigmoid_backward"), mistakes=mistakes)
        with pytest.raises(exercises.ExerciseFailed) as info:
            grading.grade(ex, calling.in_process(ex, doubled_after_the_first.compute))
        message = str(info.value)  # case 2 fails; the student's answer is doubled there
        assert "case 2 of 3" in message
        assert message.endswith(f"\n  hint: {said}") if said else "hint" not in message


def test_macs_without_the_padding_gets_the_paddings_hint_not_the_batchs():
    def conv2d_macs(x_shape, w_shape, stride, padding):
        N, C, H, W = x_shape
        O, _, k, _ = w_shape
        OH, OW = (H - k) // stride + 1, (W - k) // stride + 1  # the padding forgotten
        return N * O * OH * OW * C * k * k

    message = failure("conv2d_macs", conv2d_macs)
    assert "x_shape (2, 3, 7, 5), w_shape (4, 3, 3, 3), stride 2, padding 1" in message  # half the count
    assert message.endswith(
        "\n  hint: the padding is left out of the output size: OH = (H + 2*padding - k)//stride + 1"
    )


def test_macs_whose_count_is_off_by_a_factor_no_mistake_explains_gets_no_hint():
    def conv2d_macs(x_shape, w_shape, stride, padding):  # N twice: twice the count where N = 2
        return x_shape[0] * S.conv2d_macs(x_shape, w_shape, stride, padding)

    message = failure("conv2d_macs", conv2d_macs)
    assert "macs: expected 1458, got 2916" in message and "hint" not in message  # not FLOPs


def test_macs_without_the_stride():
    def conv2d_macs(x_shape, w_shape, stride, padding):
        N, C, H, W = x_shape
        O, _, k, _ = w_shape
        return N * O * (H + 2 * padding - k + 1) * (W + 2 * padding - k + 1) * C * k * k

    assert hint("conv2d_macs", conv2d_macs).startswith("the stride is left out of the output size")


# --- mistakes with a hint of their own ------------------------------------------------------------


def _bn(term):
    def batch_norm_backward(gy, x, gamma, eps):
        axes = (0, 2, 3)
        mean, var = x.mean(axis=axes, keepdims=True), x.var(axis=axes, keepdims=True)
        invstd = 1 / np.sqrt(var + eps)
        xhat, g = (x - mean) * invstd, gy * gamma[None, :, None, None]
        return invstd * (g - term(g, xhat)), (gy * xhat).sum(axis=axes), gy.sum(axis=axes)

    return batch_norm_backward


def _softmax(shift):
    def softmax_cross_entropy_backward(logits, labels):
        with np.errstate(all="ignore"):
            e = np.exp(logits - shift(logits))
            p = e / e.sum(axis=1, keepdims=True)
        p[np.arange(len(labels)), labels] -= 1
        return p / len(labels)

    return softmax_cross_entropy_backward


def _adam(denominator):
    def adam_step(param, grad, m, v, t, lr, beta1, beta2, eps):
        m = beta1 * m + (1 - beta1) * grad
        v = beta2 * v + (1 - beta2) * grad**2
        return param - lr * m / (1 - beta1**t) / denominator(v / (1 - beta2**t), eps), m, v

    return adam_step


def adam_folded(param, grad, m, v, t, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    return param - lr * np.sqrt(1 - beta2**t) / (1 - beta1**t) * m / (np.sqrt(v) + eps), m, v


def batch_norm_eps_outside(gy, x, gamma, eps):
    axes = (0, 2, 3)
    mean, var = x.mean(axis=axes, keepdims=True), x.var(axis=axes, keepdims=True)
    invstd = 1 / (np.sqrt(var) + eps)
    xhat, g = (x - mean) * invstd, gy * gamma[None, :, None, None]
    gx = invstd * (g - g.mean(axis=axes, keepdims=True) - xhat * (g * xhat).mean(axis=axes, keepdims=True))
    return gx, (gy * xhat).sum(axis=axes), gy.sum(axis=axes)


def avg_pool_divided_by_k(gy, x_shape, kernel_size, stride):
    return S.avg_pool2d_backward(gy, x_shape, kernel_size, stride) * kernel_size


def conv1x1_product_not_transposed_back(x, w, b):
    N, C, H, W = x.shape
    y = w.reshape(-1, C) @ x.transpose(1, 0, 2, 3).reshape(C, -1)
    return y.reshape(N, -1, H, W) + b[None, :, None, None]


def max_pool_ties_in_column_major_order(gy, x, kernel_size, stride):
    k, gx = kernel_size, np.zeros_like(x)
    N, C, OH, OW = gy.shape
    for n in range(N):
        for c in range(C):
            for i in range(OH):
                for j in range(OW):
                    window = x[n, c, i * stride : i * stride + k, j * stride : j * stride + k]
                    v, u = divmod(int(np.argmax(window.T)), k)
                    gx[n, c, i * stride + u, j * stride + v] += gy[n, c, i, j]
    return gx


@pytest.mark.parametrize(
    "name, fn, says",
    [
        (
            "batch_norm_backward",
            _bn(lambda g, xhat: g.mean(axis=(0, 2, 3), keepdims=True)),
            "gx is missing the variance's term",
        ),
        (
            "batch_norm_backward",
            _bn(lambda g, xhat: xhat * (g * xhat).mean(axis=(0, 2, 3), keepdims=True)),
            "gx is missing the mean's term",
        ),
        ("batch_norm_backward", batch_norm_eps_outside, "eps goes inside the square root: 1/sqrt(var + eps)"),
        ("avg_pool2d_backward", avg_pool_divided_by_k, "each window's gradient was divided by k;"),
        (
            "conv1x1_forward",
            conv1x1_product_not_transposed_back,
            "the product w @ x_mat has shape (O, N*H*W)",
        ),
        (
            "max_pool2d_backward",
            max_pool_ties_in_column_major_order,
            "ties: the gradient went to the first maximum in column-major",
        ),
        ("softmax_cross_entropy_backward", _softmax(lambda z: z.max()), "one maximum for the whole batch"),
        (
            "softmax_cross_entropy_backward",
            _softmax(lambda z: z.mean(axis=1, keepdims=True)),
            "exp overflowed: subtracting each row's mean does not stop it",
        ),
        (
            "leaky_relu_backward",
            lambda gy, x, a: gy * (x > 0) + a * gy * (x < 0),
            "at x = 0 yours gives 0: the negative side is x <= 0",
        ),
        (
            "residual_block_backward",
            lambda *args: _residual_from_zero_up(*args),
            "at 0 a ReLU's gradient is 0: pass the gradient where the input is > 0, not >= 0",
        ),
        (
            "adam_step",
            _adam(lambda v_hat, eps: np.sqrt(v_hat + eps**2)),
            "eps goes outside the square root: sqrt(v_hat) + eps, not sqrt(v_hat + eps^2)",
        ),
        ("adam_step", adam_folded, "that is the Adam paper's efficient form"),
    ],
)
def test_a_known_mistake_gets_its_hint(name, fn, says):
    assert hint(name, fn).startswith(says)


def _residual_from_zero_up(gy, x, w1, b1, w2, b2):
    a = x @ w1.T + b1
    h = np.maximum(a, 0)
    gz = gy * (x + h @ w2.T + b2 >= 0)
    ga = gz @ w2 * (a >= 0)
    return gz + ga @ w1, ga.T @ x, ga.sum(axis=0), gz.T @ h, gz.sum(axis=0)


def test_an_answer_with_nan_where_none_belongs_is_told_where_nan_comes_from():
    def sigmoid_backward(gy, y):
        with np.errstate(invalid="ignore"):
            return gy * y * (1 - y) * ((y - y) / (y - y))  # 0/0

    assert hint("sigmoid_backward", sigmoid_backward).startswith(
        "the answer holds nan or inf where the expected one"
    )


# --- float32 -------------------------------------------------------------------------------------


def test_float32_work_gets_the_float32_hint():
    """The inputs cast to float32, the bias added in float64: values no float32 holds, off the way
    float32 rounding is."""

    def conv2d_forward(x, w, b, stride, padding):
        y = S.conv2d_forward(
            x.astype(np.float32), w.astype(np.float32), np.zeros(len(b), np.float32), stride, padding
        )
        return y + b[None, :, None, None]

    message = failure("conv2d_forward", conv2d_forward)
    assert (
        "elements of y differ" in message
        and "\n  hint: a miss this small is what float32 arithmetic gives" in message
    )


@pytest.mark.parametrize(
    "name, fn",
    [
        ("adam_step", _adam(lambda v_hat, eps: np.sqrt(v_hat) + 2 * eps)),  # eps doubled: off by 1e-6
        ("batch_norm_backward", lambda gy, x, gamma, eps: S.batch_norm_backward(gy, x, gamma, 1.5 * eps)),
        (
            "lrn_backward",
            lambda gy, x, size, alpha, beta, k: S.lrn_backward(gy, x, size, alpha, beta, k * (1 + 3e-6)),
        ),
    ],
)
def test_float64_work_off_by_a_small_term_gets_no_float32_hint(name, fn):
    message = failure(name, fn)
    assert "(off by " in message and "hint" not in message  # a miss near the tolerance, unnamed


def test_a_known_small_mistake_is_named_and_not_taken_for_float32():
    said = hint("adam_step", _adam(lambda v_hat, eps: np.sqrt(v_hat + eps**2)))
    assert said.startswith("eps goes outside the square root") and "float32" not in said


# --- no hints -------------------------------------------------------------------------------------


def test_hints_false_names_no_mistake_but_says_what_is_wrong():
    def avg_pool2d_backward(gy, x_shape, kernel_size, stride):
        return S.avg_pool2d_backward(gy, x_shape, kernel_size, stride) * kernel_size**2

    message = failure("avg_pool2d_backward", avg_pool2d_backward, hints=False)
    assert "216 of 216 elements of gx differ" in message and "hint" not in message
    assert "hint: each window's gradient must be divided" in failure(
        "avg_pool2d_backward", avg_pool2d_backward
    )


def test_no_hints_on_the_command_line_and_in_json(student_file, capsys):
    path = student_file("import numpy as np\n\ndef tanh_backward(gy, y):\n    return 1 - y * y\n")
    assert main(["check", "tanh_backward", path]) == 1
    assert "\n  hint: the chain rule" in capsys.readouterr().out
    assert main(["check", "tanh_backward", path, "--no-hints"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("tanh_backward failed on case 1 of 3") and "hint" not in out
    assert main(["check", "tanh_backward", path, "--no-hints", "--json"]) == 1
    (result,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert result["hints"] is False and "hint" not in result["message"] and result["status"] == 1
