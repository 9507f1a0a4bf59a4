"""The dtype two operands meet in, what is refused as an operand, and shapes that do not
broadcast: each op named in one line, before any arithmetic."""

import numpy as np
import pytest

import minicnn as mc

u8 = mc.tensor([200], dtype=mc.uint8)
i32 = mc.tensor([1, 2], dtype=mc.int32)
mask = mc.tensor([True, False])


def i8(v):
    return mc.tensor(v, dtype=mc.int8)


# (case, dtype, values): torch 2.13's results, written down from running each case there
PROMOTION_CASES = [
    (lambda: i32 + mc.tensor(5), "int32", [6, 7]),
    (lambda: i32 + mc.tensor(2**40), "int32", [1, 2]),
    (lambda: u8 * mc.tensor(2), "uint8", [144]),
    (lambda: u8 + i8(-1), "uint8", [199]),
    (lambda: i32 - mc.tensor(5), "int32", [-4, -3]),
    (lambda: mc.tensor(5) - i32, "int32", [4, 3]),
    (lambda: mc.add(u8, mc.tensor(2), alpha=2), "uint8", [204]),
    (lambda: u8 > i8(-1), "bool", [False]),
    (lambda: u8 > -1, "bool", [False]),
    (lambda: u8 == -56, "bool", [True]),
    (lambda: mc.maximum(u8, i8(-1)), "uint8", [255]),
    (lambda: mc.minimum(i32, mc.tensor(2**40)), "int32", [0, 0]),
    (lambda: u8 // i8(-1), "uint8", [0]),
    (lambda: u8 % i8(-3), "uint8", [200]),
    (lambda: u8 / i8(-1), "float32", [-200.0]),
    (lambda: i32 ** mc.tensor(2), "int32", [1, 4]),
    (lambda: mc.tensor(2) ** i32, "int32", [2, 4]),
    (lambda: u8 & mc.tensor(1), "uint8", [0]),
    (lambda: u8 | i8(-1), "uint8", [255]),
    (lambda: u8 & 1, "uint8", [0]),
    (lambda: mask & mc.tensor(1), "int64", [1, 0]),
    (lambda: mask + mc.tensor(1), "int64", [2, 1]),
    (lambda: mask + mc.tensor(1, dtype=mc.uint8), "uint8", [2, 1]),
    (lambda: mask + mc.tensor(True), "bool", [True, True]),
    (lambda: i32 + mc.tensor(True), "int32", [2, 3]),
    (lambda: mc.tensor(1, dtype=mc.int32) + mc.tensor(1), "int64", 2),
    (lambda: mc.tensor(1, dtype=mc.uint8) + i8(1), "int16", 2),
    (lambda: i32 + mc.tensor(1.5, dtype=mc.float64), "float64", [2.5, 3.5]),
    (lambda: i32 + mc.tensor(1.5), "float32", [2.5, 3.5]),
    (lambda: u8 + mc.tensor([-1], dtype=mc.int8), "int16", [199]),
    (lambda: i32 + mc.tensor([1, 1]), "int64", [2, 3]),
    (lambda: mc.where(mask, i32, mc.tensor(7)), "int32", [1, 7]),
    (lambda: mc.where(mc.tensor([True]), mc.tensor(-1), u8), "uint8", [255]),
    (lambda: mc.where(mc.tensor([True]), mc.tensor(-1), mc.tensor(3, dtype=mc.int32)), "int64", [-1]),
]


@pytest.mark.parametrize("case, dtype, values", PROMOTION_CASES)
def test_integer_and_bool_operands_meet_in_pytorchs_dtype(case, dtype, values):
    out = case()
    assert (out.dtype, out.tolist()) == (np.dtype(dtype), values)


def test_a_0d_float_tensor_still_keeps_a_float32_tensor_float32():
    x = mc.tensor([1.0, 2.0], requires_grad=True)
    y = x * mc.tensor(3.0, dtype=mc.float64)
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]


OPS = [
    ("add", lambda t, v: t + v),
    ("add", lambda t, v: v + t),
    ("sub", lambda t, v: v - t),
    ("mul", lambda t, v: t * v),
    ("div", lambda t, v: t / v),
    ("div", lambda t, v: mc.div(t, v, rounding_mode="floor")),
    ("pow", lambda t, v: t**v),
    ("floor_divide", lambda t, v: t // v),
    ("remainder", lambda t, v: t % v),
    ("maximum", lambda t, v: mc.maximum(t, v)),
    ("minimum", lambda t, v: mc.minimum(t, v)),
    ("lt", lambda t, v: t < v),
    ("ge", lambda t, v: t >= v),
    ("where", lambda t, v: mc.where(t > 0, t, v)),
]


@pytest.mark.parametrize("value", [None, "a", object(), [1.0, None], [[1.0], [2.0, 3.0]]])
@pytest.mark.parametrize("name, op", OPS)
def test_an_operand_that_is_not_numbers_is_refused_naming_the_op(name, op, value):
    with pytest.raises(TypeError, match=rf"^{name}: expected a Tensor, a number or an array of numbers, got"):
        op(mc.tensor([1.0, 2.0]), value)


@pytest.mark.parametrize("symbol", ["&", "|", "^"])
def test_bitwise_ops_refuse_none_and_floats_naming_the_op(symbol):
    ops = {"&": ("bitwise_and", lambda a, b: a & b), "|": ("bitwise_or", lambda a, b: a | b)}
    name, op = ops.get(symbol, ("bitwise_xor", lambda a, b: a ^ b))
    with pytest.raises(TypeError, match=f"^{name}: expected a Tensor, a number or an array of numbers"):
        op(mask, None)
    with pytest.raises(TypeError, match=f"^{name}: expected bool or integer operands, got float32"):
        op(mc.tensor([1.0]), mc.tensor([1.0]))


def test_equality_with_something_that_is_not_numbers_is_false_as_pytorchs():
    t = mc.tensor([1.0, 2.0])
    assert (t == None) is False  # noqa: E711
    assert (t != "a") is True
    assert (t == [1.0, 3.0]).tolist() == [True, False]  # a list of numbers is compared elementwise


def test_lists_and_arrays_of_numbers_are_still_operands():
    t = mc.tensor([1.0, 2.0])
    assert (t + [1, 2]).tolist() == [2.0, 4.0]
    assert (np.array([1.0, 2.0]) * t).tolist() == [1.0, 4.0]


@pytest.mark.parametrize("name, op", OPS + [("eq", lambda t, v: t == v), ("bitwise_and", lambda t, v: t & v)])
def test_shapes_that_do_not_broadcast_are_refused_naming_the_op_and_the_dim(name, op):
    a, b = mc.ones(2, 3, dtype=mc.int64), mc.ones(3, 2, dtype=mc.int64)
    # (an op that puts b first, as v + t, names b's shape first)
    pattern = rf"^{name}: shapes \(.*\) do not broadcast: sizes (3 and 2|2 and 3) at dim 1 \(neither is 1\)$"
    with pytest.raises(ValueError, match=pattern):
        op(a, b)


def test_the_broadcast_error_lists_the_shapes_in_the_order_given():
    with pytest.raises(ValueError) as error:
        mc.ones(2, 3) + mc.ones(3, 2)
    assert (
        str(error.value)
        == "add: shapes (2, 3) and (3, 2) do not broadcast: sizes 3 and 2 at dim 1 (neither is 1)"
    )
    with pytest.raises(ValueError, match=r"^where: shapes \(2, 3\) and \(2, 3\) and \(3, 2\) do not"):
        mc.where(mc.ones(2, 3) > 0, mc.ones(2, 3), mc.ones(3, 2))


def test_the_dim_named_is_the_first_mismatch_from_the_right_of_the_broadcast_shape():
    with pytest.raises(ValueError, match=r"^add: shapes \(4, 1, 3\) and \(5, 2\) .*sizes 3 and 2 at dim 2"):
        mc.ones(4, 1, 3) + mc.ones(5, 2)
    with pytest.raises(ValueError, match=r"^add: shapes \(4, 3\) and \(5, 3\) .*sizes 4 and 5 at dim 0"):
        mc.ones(4, 3) + mc.ones(5, 3)


def test_matmul_keeps_its_own_shape_rule():
    assert (mc.ones(2, 3) @ mc.ones(3, 4)).shape == (2, 4)
