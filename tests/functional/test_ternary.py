"""lerp, addcmul and addcdiv out of place: PyTorch's values and gradients (tests/fixtures/
gen_in_place2.py), float64 gradient checks, dtypes and bad input. Their in-place twins'
values are in test_in_place2.py."""

import numpy as np
import pytest
from fixtures.gen_in_place2 import OUT_OF_PLACE
from out_of_place_golden import check_gradcheck, check_values_and_gradients

import minicnn as mc

CASES = [n for n in OUT_OF_PLACE if n.startswith(("lerp", "addc"))]


@pytest.mark.parametrize("name", CASES)
def test_values_and_gradients_are_pytorchs(golden, name):
    check_values_and_gradients(golden("in_place2"), name)


@pytest.mark.parametrize("name", CASES)
def test_gradcheck(golden, name):
    check_gradcheck(golden("in_place2"), name)


def test_lerp_at_weight_one_is_end_exactly_and_the_methods_are_the_functions(rng):
    a, b = mc.tensor(rng.standard_normal(4) * 1e8), mc.tensor(rng.standard_normal(4) * 1e-8)
    assert mc.lerp(a, b, 1.0).tolist() == b.tolist()  # (a + 1 * (b - a) would round)
    assert a.lerp(b, 0.0).tolist() == a.tolist()
    x, t1, t2 = (mc.tensor(rng.standard_normal(3)) for _ in range(3))
    np.testing.assert_array_equal(x.addcmul(t1, t2, value=3).numpy(), mc.addcmul(x, t1, t2, value=3).numpy())
    np.testing.assert_allclose(x.addcdiv(t1, t2).numpy(), (x + t1 / t2).numpy(), rtol=1e-6)


def test_dtypes_meet_as_in_pytorch_and_float32_stays_float32(rng):
    f = mc.tensor(rng.standard_normal(3).astype(np.float32), requires_grad=True)
    i = mc.tensor([1, 2, 3])
    y = mc.addcmul(f, i, i, value=0.5)
    assert y.dtype == mc.float32 and y.tolist() == pytest.approx((f.detach() + 0.5 * i * i).tolist())
    y.sum().backward()
    assert f.grad.dtype == mc.float32
    assert mc.addcmul(i, i, i, value=2).tolist() == [3, 10, 21]  # integers stay integers
    assert mc.addcmul(i, i, i, value=1.9).tolist() == [2, 6, 12]  # value truncated, as PyTorch
    w = mc.tensor(0.25, dtype=mc.float64)  # a 0-d tensor of another float dtype: refused by lerp
    with pytest.raises(TypeError, match=r"^lerp: expected weight of input's dtype float32, got float64"):
        mc.lerp(f, f, w)


@pytest.mark.parametrize(
    "call, error, message",
    [
        (
            lambda: mc.lerp(mc.tensor([1, 2]), mc.tensor([1, 2]), 0.5),
            TypeError,
            r"^lerp: expected a floating-point input",
        ),
        (
            lambda: mc.lerp(mc.zeros(2), mc.zeros(2, dtype=mc.float64), 0.5),
            TypeError,
            r"^lerp: expected end of input's dtype float32, got float64",
        ),
        (
            lambda: mc.lerp(mc.zeros(2), mc.zeros(3), 0.5),
            ValueError,
            r"^lerp: shapes \(2,\) and \(3,\) and \(\) do not",
        ),
        (
            lambda: mc.lerp(mc.zeros(2), mc.zeros(2), "a"),
            TypeError,
            r"^lerp: weight must be a number or a Tensor",
        ),
        (lambda: mc.lerp(mc.zeros(2), [0.0, 1.0], 0.5), TypeError, r"^lerp: end must be a minicnn Tensor"),
        (
            lambda: mc.addcmul(mc.zeros(2), mc.zeros(2, dtype=mc.float64), mc.zeros(2)),
            TypeError,
            r"^addcmul: the tensors are float32 and float64",
        ),
        (
            lambda: mc.addcmul(mc.zeros(2), mc.zeros(2), mc.zeros(2), value=mc.ones(2)),
            TypeError,
            r"^addcmul: value must be a number",
        ),
        (
            lambda: mc.addcmul(mc.tensor([True]), mc.tensor([True]), mc.tensor([True])),
            TypeError,
            r"^addcmul: expected number tensors, got bool ones",
        ),
        (
            lambda: mc.addcdiv(mc.zeros(2), mc.tensor([1, 2]), mc.tensor([1, 2])),
            TypeError,
            r"^addcdiv: tensor1 and tensor2 are int64 and int64, and PyTorch no longer divides integers",
        ),
        (
            lambda: mc.tensor([1.0]).addcdiv_(
                mc.tensor([1.0]), mc.tensor([2.0]), value=mc.tensor(1.0, requires_grad=True)
            ),
            TypeError,
            r"^addcdiv_\(\): value must be a number",
        ),
        (
            lambda: mc.tensor([1.0]).lerp_(mc.tensor([1.0], dtype=mc.float64), 0.5),
            TypeError,
            r"^lerp_\(\): expected end of input's dtype float32, got float64",
        ),
    ],
)
def test_bad_input_is_refused_in_one_line(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_in_place_refusals_write_nothing_and_one_integer_operand_divides():
    x = mc.tensor([1.0, 2.0])
    with pytest.raises(
        ValueError, match=r"^addcmul_\(\): value 1e\+40 cannot be written into a float32 tensor"
    ):
        x.addcmul_(mc.ones(2), mc.ones(2), value=1e40)
    with pytest.raises(ValueError, match=r"^lerp_\(\): end of shape \(3,\) does not broadcast"):
        x.lerp_(mc.ones(3), 0.5)
    assert x.tolist() == [1.0, 2.0]
    assert x.addcdiv_(mc.ones(2), mc.tensor([1, 2])).tolist() == [2.0, 2.5]  # as PyTorch: one is float
