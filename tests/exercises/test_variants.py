"""Chapter 10's exercises: each known mistake, written as a student would write it, gets its hint."""

import numpy as np
import pytest
import solutions as S

import minicnn as mc
from minicnn import exercises, rng
from minicnn.exercises import variants


def hint(name, fn):
    with pytest.raises(exercises.ExerciseFailed) as info:
        exercises.check(name, fn)
    message = str(info.value)
    assert "\n  hint: " in message, message
    return message.split("\n  hint: ")[1]


def test_chapter_10_exercises_come_last_in_course_order():
    last = exercises.names()[-4:]
    assert last == [
        "leaky_relu_backward",
        "dropconnect_forward",
        "depthwise_separable_cost",
        "multiclass_svm_loss_backward",
    ]
    assert {exercises.info(n).notebook for n in last} == {"10_dead_units_dropconnect_depth_and_cost"}


# --- leaky ReLU backward -------------------------------------------------------------------------


def test_leaky_slope_on_the_wrong_side():
    def leaky_relu_backward(gy, x, negative_slope):
        return np.where(x > 0, negative_slope * gy, gy)

    assert "wrong side" in hint("leaky_relu_backward", leaky_relu_backward)


def test_leaky_slope_forgotten():
    def leaky_relu_backward(gy, x, negative_slope):
        gx = gy.copy()
        gx[x <= 0] = 0
        return gx

    assert "ReLU's backward" in hint("leaky_relu_backward", leaky_relu_backward)


def test_leaky_without_the_incoming_gradient():
    assert "chain rule" in hint("leaky_relu_backward", lambda gy, x, a: np.where(x > 0, 1.0, a))


def test_leaky_kink_on_the_positive_side_fails_only_on_the_case_with_zeros():
    def leaky_relu_backward(gy, x, negative_slope):
        return np.where(x >= 0, gy, negative_slope * gy)

    with pytest.raises(exercises.ExerciseFailed, match="case 4 of 4"):
        exercises.check("leaky_relu_backward", leaky_relu_backward)
    assert "at x = 0" in hint("leaky_relu_backward", leaky_relu_backward)


# --- DropConnect forward -------------------------------------------------------------------------


def test_dropconnect_one_mask_for_the_batch():
    def dropconnect_forward(x, w, b, p, u):
        mask = u[0] >= p  # as if u were one (O, D) draw
        return x @ (mask * w / (1 - p)).T + b

    assert "one mask PER EXAMPLE" in hint("dropconnect_forward", dropconnect_forward)


def test_dropconnect_with_the_mask_left_from_a_loop():
    def dropconnect_forward(x, w, b, p, u):
        for n in range(len(x)):
            mask = u[n] >= p
        return x @ (mask * w / (1 - p)).T + b

    assert hint("dropconnect_forward", dropconnect_forward).startswith(
        "every example used the last example's mask"
    )


def test_dropconnect_with_the_masks_averaged():
    def dropconnect_forward(x, w, b, p, u):
        keep = (u >= p).mean(axis=0)  # the share of examples that keep each weight
        return x @ (keep * w / (1 - p)).T + b

    assert hint("dropconnect_forward", dropconnect_forward).startswith(
        "the masks were averaged over the batch"
    )


def test_dropconnect_with_one_mask_from_u_averaged():
    def dropconnect_forward(x, w, b, p, u):
        return x @ ((u.mean(axis=0) >= p) * w / (1 - p)).T + b

    said = hint("dropconnect_forward", dropconnect_forward)
    assert said.startswith("one mask for the whole batch, from u averaged over the examples")


@pytest.mark.parametrize(
    "scale, says", [(lambda p: 1.0, "not scaled"), (lambda p: 1 - p, "scaled by (1 - p)")]
)
def test_dropconnect_scaling(scale, says):
    def dropconnect_forward(x, w, b, p, u):
        return np.einsum("noi,ni->no", (u >= p) * w * scale(p), x) + b

    assert says in hint("dropconnect_forward", dropconnect_forward)


def test_dropconnect_keep_and_drop_swapped():
    def dropconnect_forward(x, w, b, p, u):
        return np.stack([((u[n] < p) * w / (1 - p)) @ x[n] + b for n in range(len(x))])

    assert "swapped" in hint("dropconnect_forward", dropconnect_forward)


def test_dropconnect_bias_scaled():
    def dropconnect_forward(x, w, b, p, u):
        return np.stack([((u[n] >= p) * w @ x[n] + b) / (1 - p) for n in range(len(x))])

    assert "bias was scaled" in hint("dropconnect_forward", dropconnect_forward)


# --- the cost of a depthwise-separable convolution -----------------------------------------------


def test_cost_expected_values_are_the_closed_form_for_mobilenets_stage():
    """The reference counts with real layers; on MobileNet's 14x14 stage they give c*(k*k + c)."""
    params, macs = variants._cost(512, 512, 3, 14, 14)
    assert params == (512 * 512 * 9, 512 * 9 + 512 * 512)
    assert macs == (params[0] * 196, params[1] * 196)


def test_cost_reference_leaves_the_random_stream_alone():
    mc.manual_seed(7)
    want = rng.default_generator().random(3)
    mc.manual_seed(7)
    variants._cost(4, 6, 3, 5, 5)  # builds layers, which draws weights
    assert np.array_equal(rng.default_generator().random(3), want)


def _cost_with(separable, positions=lambda h, w: h * w, per_mac=1, biases=False):
    def depthwise_separable_cost(c_in, c_out, k, h, w):
        standard, sep = c_out * c_in * k * k, separable(c_in, c_out, k)
        params = (standard + c_out, sep + c_in + c_out) if biases else (standard, sep)
        return params, (per_mac * standard * positions(h, w), per_mac * sep * positions(h, w))

    return depthwise_separable_cost


def test_cost_without_the_pointwise_part():
    message = hint("depthwise_separable_cost", _cost_with(lambda c_in, c_out, k: c_in * k * k))
    assert "pointwise part is missing" in message


def test_cost_depthwise_as_a_full_convolution():
    full = _cost_with(lambda c_in, c_out, k: c_in * c_in * k * k + c_in * c_out)
    message = hint("depthwise_separable_cost", full)
    assert "ONE k x k filter per channel" in message


@pytest.mark.parametrize(
    "options, says",
    [
        (dict(biases=True), "biases were counted"),
        (dict(positions=lambda h, w: 1), "once per output position"),
        (dict(per_mac=2), "that is FLOPs"),
    ],
)
def test_cost_counting_mistakes(options, says):
    cost = _cost_with(lambda c_in, c_out, k: c_in * k * k + c_in * c_out, **options)
    assert says in hint("depthwise_separable_cost", cost)


def test_cost_returns_pairs_named_in_the_message():
    def depthwise_separable_cost(c_in, c_out, k, h, w):
        (ps, pd), macs = S.depthwise_separable_cost(c_in, c_out, k, h, w)
        return (pd, ps), macs  # standard and separable swapped

    with pytest.raises(exercises.ExerciseFailed, match=r"params: expected \[432, 75\], got \[75, 432\]"):
        exercises.check("depthwise_separable_cost", depthwise_separable_cost)
