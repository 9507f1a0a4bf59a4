"""Optimizer settings checked when built, as PyTorch checks them: bad, NaN and infinite values
and values of the wrong type or length refused in one line naming the optimizer; numbers of
any kind taken."""

import math

import numpy as np
import pytest

import minicnn as mc
from minicnn import nn, optim


def test_bad_settings_are_refused():
    p = nn.Parameter(np.zeros(2))
    with pytest.raises(ValueError, match="Invalid learning rate"):
        optim.SGD([p], lr=-1)
    with pytest.raises(ValueError, match="Nesterov momentum requires a momentum and zero dampening"):
        optim.SGD([p], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="Invalid beta parameter at index 1"):
        optim.Adam([p], betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="single Tensor"):
        optim.SGD(p, lr=0.1)
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([p * 2], lr=0.1)
    with pytest.raises(ValueError, match="more than once"):
        optim.SGD([p, p], lr=0.1)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
@pytest.mark.parametrize(
    "build, message",
    [
        (lambda p, v: optim.SGD([p], lr=v), "Invalid learning rate"),
        (lambda p, v: optim.SGD([p], lr=0.1, momentum=v), "Invalid momentum value"),
        (lambda p, v: optim.SGD([p], lr=0.1, weight_decay=v), "Invalid weight_decay value"),
        (lambda p, v: optim.Adam([p], lr=v), "Invalid learning rate"),
        (lambda p, v: optim.Adam([p], betas=(v, 0.999)), "Invalid beta parameter at index 0"),
        (lambda p, v: optim.Adam([p], betas=(0.9, v)), "Invalid beta parameter at index 1"),
        (lambda p, v: optim.Adam([p], eps=v), "Invalid epsilon value"),
        (lambda p, v: optim.AdamW([p], weight_decay=v), "Invalid weight_decay value"),
        (lambda p, v: optim.RMSprop([p], alpha=v), "Invalid alpha value"),
        (lambda p, v: optim.RMSprop([p], momentum=v), "Invalid momentum value"),
        (lambda p, v: optim.RMSprop([p], eps=v), "Invalid epsilon value"),
        (lambda p, v: optim.Adagrad([p], lr_decay=v), "Invalid lr_decay value"),
        (
            lambda p, v: optim.Adagrad([p], initial_accumulator_value=v),
            "Invalid initial_accumulator_value value",
        ),
    ],
)
def test_nan_and_infinite_settings_are_refused(build, message, bad):
    p = nn.Parameter(np.zeros(2))
    with pytest.raises(ValueError, match=f"{message}: {bad}"):
        build(p, bad)


# (what is built, the error, its whole message)
WRONG_TYPES = [
    (lambda w: optim.SGD([w], lr="0.1"), TypeError, "SGD: lr must be a real number, got str '0.1'"),
    (lambda w: optim.SGD([w], lr=None), TypeError, "SGD: lr must be a real number, got None"),
    (lambda w: optim.SGD([w], lr=True), TypeError, "SGD: lr must be a real number, got bool True"),
    (lambda w: optim.SGD([w], lr=[0.1]), TypeError, "SGD: lr must be a real number, got list [0.1]"),
    (
        lambda w: optim.SGD([w], lr=mc.tensor([0.1, 0.2])),
        TypeError,
        "SGD: lr must be a real number, got Tensor of shape (2,)",
    ),
    (
        lambda w: optim.SGD([w], momentum="0.9"),
        TypeError,
        "SGD: momentum must be a real number, got str '0.9'",
    ),
    (
        lambda w: optim.SGD([w], momentum=0.9, dampening="0.1"),
        TypeError,
        "SGD: dampening must be a real number, got str '0.1'",
    ),
    (
        lambda w: optim.SGD([{"params": [w], "lr": "1e-3"}], lr=0.1),  # a group's own setting too
        TypeError,
        "SGD: lr must be a real number, got str '1e-3'",
    ),
    (
        lambda w: optim.SGD([w], lr=-1),
        ValueError,
        "SGD: Invalid learning rate: -1; expected a finite number >= 0",
    ),
    (
        lambda w: optim.Adam([w], betas=(0.9,)),
        ValueError,
        "Adam: betas must be a pair (beta1, beta2) of numbers, got 1 of them: tuple (0.9,)",
    ),
    (
        lambda w: optim.AdamW([w], betas=[0.9, 0.99, 0.9]),
        ValueError,
        "AdamW: betas must be a pair (beta1, beta2) of numbers, got 3 of them: list [0.9, 0.99, 0.9]",
    ),
    (
        lambda w: optim.Adam([w], betas=0.9),
        TypeError,
        "Adam: betas must be a pair (beta1, beta2) of numbers, got float 0.9",
    ),
    (
        lambda w: optim.Adam([w], betas="ab"),
        TypeError,
        "Adam: betas must be a pair (beta1, beta2) of numbers, got str 'ab'",
    ),
    (
        lambda w: optim.Adam([w], betas=("0.9", 0.99)),
        TypeError,
        "Adam: betas[0] must be a real number, got str '0.9'",
    ),
    (
        lambda w: optim.Adam([w], betas=(0.9, 1.0)),
        ValueError,
        "Adam: Invalid beta parameter at index 1: 1.0; expected a finite number in [0, 1)",
    ),
    (lambda w: optim.Adam([w], eps="1e-8"), TypeError, "Adam: eps must be a real number, got str '1e-8'"),
    (
        lambda w: optim.AdamW([w], weight_decay=None),
        TypeError,
        "AdamW: weight_decay must be a real number, got None",
    ),
    (
        lambda w: optim.RMSprop([w], alpha="0.9"),
        TypeError,
        "RMSprop: alpha must be a real number, got str '0.9'",
    ),
    (
        lambda w: optim.Adagrad([w], lr_decay="0"),
        TypeError,
        "Adagrad: lr_decay must be a real number, got str '0'",
    ),
    (
        lambda w: optim.Adagrad([w], initial_accumulator_value=[0.1]),
        TypeError,
        "Adagrad: initial_accumulator_value must be a real number, got list [0.1]",
    ),
]


@pytest.mark.parametrize("make, error, message", WRONG_TYPES)
def test_a_setting_of_the_wrong_type_or_length_is_refused_when_built(make, error, message):
    """Where PyTorch fails later (a string lr at the first step, betas of three at the first
    step) or with a comparison's error, one line names the optimizer, what it expected and got."""
    w = nn.Parameter(np.zeros(2))
    with pytest.raises(error) as caught:
        make(w)
    assert str(caught.value) == message


def test_numbers_of_any_kind_are_taken_and_a_one_value_tensor_as_its_float():
    """PyTorch keeps a Tensor lr for its compiled steps; minicnn has none and stores the float."""
    rng = np.random.default_rng(72)
    w = nn.Parameter(rng.standard_normal(2))
    opt = optim.SGD([w], lr=mc.tensor(0.5), momentum=np.float32(0.5), weight_decay=np.int64(0))
    lr = opt.param_groups[0]["lr"]
    assert lr == 0.5 and type(lr) is float and opt.param_groups[0]["momentum"] == 0.5
    adam = optim.Adam([w], lr=np.array([0.01]), betas=np.array([0.8, 0.9]))
    assert adam.param_groups[0]["lr"] == 0.01 and adam.param_groups[0]["betas"] == (0.8, 0.9)
    assert optim.Adam([w], betas=[mc.tensor(0.5), 0.9]).param_groups[0]["betas"] == (0.5, 0.9)
    before = w.data.copy()
    w.grad = mc.tensor(rng.standard_normal(2))
    opt.step()
    np.testing.assert_allclose(w.data, before - 0.5 * w.grad.data)


@pytest.mark.parametrize("dampening", [-1.0, math.inf, math.nan])
def test_sgds_dampening_is_any_real_number_as_pytorch(dampening):
    """PyTorch checks lr, momentum and weight decay, not dampening: -1, inf and nan are taken,
    the other settings' same values refused."""
    w = nn.Parameter(np.random.default_rng(73).standard_normal(2))
    opt = optim.SGD([w], lr=0.1, momentum=0.9, dampening=dampening)
    taken = opt.param_groups[0]["dampening"]
    assert taken == dampening or (math.isnan(taken) and math.isnan(dampening))
    with pytest.raises(ValueError, match="SGD: Invalid momentum value"):
        optim.SGD([w], lr=0.1, momentum=dampening)
