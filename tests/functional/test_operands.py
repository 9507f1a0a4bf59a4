"""What is refused as an operand (what is not numbers, a list or a tuple, a float where a bitwise
op wants integers) and shapes that do not broadcast: each op named in one line, before any
arithmetic; arrays, numbers and 0-d tensors still taken."""

import numpy as np
import pytest
from dtype_tensors import mask

import minicnn as mc

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
    assert (t == [1.0, 2.0]) is False and (t != (1.0, 2.0)) is True  # a list too, as PyTorch's ==


def test_arrays_of_numbers_are_still_operands():
    t = mc.tensor([1.0, 2.0])
    assert (np.array([1.0, 2.0]) * t).tolist() == [1.0, 4.0]
    assert (t + np.array([1, 2])).tolist() == [2.0, 4.0]


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


LIST_OPS = OPS[:-1] + [  # (where's operands are refused by as_tensor too: checked below)
    ("sub", lambda t, v: t - v),
    ("pow", lambda t, v: v**t),
    ("remainder", lambda t, v: v % t),
    ("matmul", lambda t, v: t @ v),
    ("bitwise_and", lambda t, v: t.long() & v),
    ("eq", lambda t, v: t.eq(v)),
    ("ne", lambda t, v: t.ne(v)),
]


@pytest.mark.parametrize("kind", [list, tuple])
@pytest.mark.parametrize("name, op", LIST_OPS)
def test_a_list_or_tuple_operand_is_refused_with_a_hint_to_wrap_it(name, op, kind):
    rng = np.random.default_rng(31)
    t = mc.tensor(rng.uniform(1, 2, size=2).astype(np.float32))
    value = kind(rng.uniform(1, 2, size=2).round(2).tolist())
    message = rf"^{name}: expected a Tensor, a number or an array of numbers, got a {kind.__name__}; wrap"
    with pytest.raises(TypeError, match=message + r" it in mc\.tensor\(\.\.\.\) first$"):
        op(t, value)
    wrapped = mc.tensor(list(value))
    assert isinstance(op(t, wrapped.long() if name.startswith("bitwise") else wrapped), mc.Tensor)  # taken


def test_where_and_the_in_place_ops_refuse_a_list_as_the_others():
    rng = np.random.default_rng(32)
    t = mc.tensor(rng.standard_normal(3).astype(np.float32))
    values = rng.standard_normal(3).tolist()
    with pytest.raises(TypeError, match=r"^where: .* got a list; wrap it in mc\.tensor"):
        mc.where(t > 0, t, values)
    for name, op in [("\\+=", lambda: t.__iadd__(values)), ("add_\\(\\)", lambda: t.add_(values))]:
        with pytest.raises(TypeError, match=rf"^{name}: .* got a list; wrap it in mc\.tensor"):
            op()
    before = t.tolist()
    t += mc.tensor(values)
    np.testing.assert_allclose(t.tolist(), np.add(before, values, dtype=np.float32))


def test_numbers_numpy_scalars_0d_arrays_and_0d_tensors_are_still_operands():
    rng = np.random.default_rng(33)
    a = rng.standard_normal(4).astype(np.float32)
    t, v = mc.tensor(a), float(rng.uniform(1, 2))
    for other in (v, np.float64(v), np.float32(v), np.array(v), mc.tensor(v)):
        y = t * other
        assert y.dtype == np.float32
        np.testing.assert_allclose(y.numpy(), a * np.float32(v), rtol=1e-6)
    assert (t == list(a)) is False and (t != tuple(a)) is True  # as PyTorch's ==: no elementwise answer
    with pytest.raises(TypeError, match=r"^lt: expected a Tensor, a number .* got a list"):
        _ = t < list(a)
