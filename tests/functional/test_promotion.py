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


# --- operands PyTorch refuses: lists, and bools where it has no arithmetic for them ---------

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


B = mc.tensor([True, False, True])
F32 = mc.tensor([1.5, -2.0, 0.25])
I64 = mc.tensor([3, -1, 0])

# (case, the message's op and the dtypes it names): each refused by torch 2.13 too
BOOL_REFUSED = [
    (lambda: F32 - B, "sub: expected no bool operand .* got float32 and bool; to invert a mask use ~mask"),
    (lambda: B - I64, "sub: expected no bool operand .* got bool and int64; to invert a mask use ~mask"),
    (lambda: B - B, r"sub: expected no bool operand .* got bool and bool; use a \^ b"),
    (lambda: F32 - True, "sub: expected no bool operand .* got float32 and bool"),
    (lambda: True - F32, "sub: expected no bool operand .* got bool and float32"),
    (lambda: 1 - B, "sub: expected no bool operand .* got int and bool"),
    (lambda: mc.sub(B, 1.5), "sub: expected no bool operand .* got bool and float"),
    (lambda: -B, r"neg: expected a number tensor, got bool \(as PyTorch\); to invert a mask use ~mask"),
    (lambda: abs(B), r"abs: expected a number tensor, got bool \(as PyTorch\)"),
    (lambda: B.floor(), r"floor: expected a number tensor, got bool"),
    (lambda: mc.round(B), r"round: expected a number tensor, got bool"),
    (lambda: B % B, r"remainder: expected at most one bool operand \(as PyTorch\), got bool and bool"),
    (lambda: B % True, "remainder: expected at most one bool operand .* got bool and bool"),
    (lambda: True % B, "remainder: expected at most one bool operand .* got bool and bool"),
    (lambda: B // True, "floor_divide: expected at most one bool operand .* got bool and bool"),
    (lambda: B**B, "pow: expected at most one bool operand .* got bool and bool"),
    (lambda: True**B, "pow: expected at most one bool operand .* got bool and bool"),
    (lambda: B ** mc.tensor(True), "pow: expected at most one bool operand .* got bool and bool"),
    (lambda: B @ B, r"matmul: expected no bool operand \(as PyTorch\), got bool and bool"),
    (lambda: B @ I64, "matmul: expected no bool operand .* got bool and int64"),
]


@pytest.mark.parametrize("case, message", BOOL_REFUSED)
def test_bool_arithmetic_pytorch_refuses_is_refused_in_one_line(case, message):
    with pytest.raises(TypeError, match=f"^{message}"):
        case()


def test_the_in_place_subtractions_refuse_a_bool_too():
    rng = np.random.default_rng(34)
    x, mask = mc.tensor(rng.standard_normal(3)), mc.tensor(rng.random(3) > 0.5)
    with pytest.raises(TypeError, match=r"^-=: expected no bool operand .* got float64 and bool"):
        x -= mask
    with pytest.raises(TypeError, match=r"^sub_\(\): expected no bool operand .* got float64 and bool"):
        x.sub_(True)


# (case, dtype, values): torch 2.13's results for the bool arithmetic it takes
BOOL_TAKEN = [
    (lambda: B**True, "bool", [True, False, True]),  # x ** 1 is x, in x's dtype
    (lambda: B**False, "bool", [True, True, True]),  # x ** 0 is 1
    (lambda: B ** np.bool_(True), "bool", [True, False, True]),  # (a NumPy scalar as the number it holds)
    (lambda: B**2, "int64", [1, 0, 1]),
    (lambda: B**2.0, "float32", [1.0, 0.0, 1.0]),
    (lambda: 2**B, "int64", [2, 1, 2]),
    (lambda: I64**True, "int64", [3, -1, 0]),
    (lambda: B % 2, "int64", [1, 0, 1]),
    (lambda: F32 % B[[0, 0, 2]], "float32", [0.5, 0.0, 0.25]),
    (lambda: B + B, "bool", [True, False, True]),
    (lambda: B * True, "bool", [True, False, True]),
    (lambda: B.sign(), "bool", [True, False, True]),
    (lambda: mc.tensor([0, 7, 255], dtype=mc.uint8).all(), "uint8", 0),
    (lambda: mc.tensor([0, 7, 255], dtype=mc.uint8).any(), "uint8", 1),
    (lambda: mc.tensor([[0, 7], [1, 255]], dtype=mc.uint8).all(1, keepdim=True), "uint8", [[0], [1]]),
    (lambda: mc.tensor([[0, 7], [1, 255]], dtype=mc.uint8).any(dim=()), "uint8", [[0, 1], [1, 1]]),
    (lambda: mc.tensor([0, 7], dtype=mc.int8).all(), "bool", False),
    (lambda: F32.any(0), "bool", True),
]


@pytest.mark.parametrize("case, dtype, values", BOOL_TAKEN)
def test_bool_arithmetic_pytorch_takes_gives_its_dtype(case, dtype, values):
    out = case()
    assert (out.dtype, out.tolist()) == (np.dtype(dtype), values)


def test_all_and_any_refuse_a_dim_named_twice_or_out_of_range():
    x = mc.tensor(np.random.default_rng(35).integers(0, 3, size=(2, 3)).astype(np.uint8))
    with pytest.raises(ValueError, match=r"^all: dim 0 appears more than once in the dims given, \(0, -2\)$"):
        x.all((0, -2))
    with pytest.raises(IndexError, match=r"^any: dimension out of range .* but got 2\)$"):
        x.any(2)


# --- integer powers --------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["uint8", "int32", "int64", "bool"])
@pytest.mark.parametrize("exponent", [-1, -3, np.int64(-2)])
def test_an_integer_tensor_to_a_negative_integer_number_is_refused(dtype, exponent):
    x = mc.tensor(np.random.default_rng(36).integers(1, 3, size=4).astype(dtype))
    message = (
        rf"^pow: integers to negative integer powers are not allowed \(as PyTorch\), got {dtype} "
        rf"\*\* {exponent}; use a float exponent \({exponent}\.0\) or convert with \.float\(\)$"
    )
    with pytest.raises(ValueError, match=message):
        x**exponent
    with pytest.raises(ValueError, match=message.replace("pow", r"\*\*=", 1)):
        x **= exponent
    assert (x**-1.0).dtype == np.float32 and (x**0).tolist() == [1, 1, 1, 1]


def _torch_integer_power(a, b, dtype):
    """PyTorch's integer a ** b: for b < 0, 1 ** b = 1, (-1) ** b = +-1, and 0 for any other a."""
    if b < 0:
        return 1 if a == 1 else (-1 if b % 2 else 1) if a == -1 else 0
    return int(np.array(a, dtype=dtype) ** np.array(b, dtype=dtype))


@pytest.mark.parametrize("dtype", ["int8", "int32", "int64"])
def test_a_tensor_of_negative_integer_exponents_gives_pytorchs_values(dtype):
    rng = np.random.default_rng(37)
    a = rng.integers(-3, 4, size=40).astype(dtype)
    b = rng.integers(-4, 4, size=40).astype(dtype)
    y = mc.tensor(a) ** mc.tensor(b)
    assert y.dtype == np.dtype(dtype)
    assert y.tolist() == [_torch_integer_power(int(p), int(q), dtype) for p, q in zip(a, b)]
    in_place = mc.tensor(a)
    in_place **= mc.tensor(b)
    assert in_place.dtype == np.dtype(dtype) and in_place.tolist() == y.tolist()
    # a number as the base, and a 0-d exponent, are tensors' powers too (torch 2.13's values)
    assert (2 ** mc.tensor([-1, 0, 3])).tolist() == [0, 1, 8]
    assert (mc.tensor([1, -1, 2, 0]) ** mc.tensor(-1)).tolist() == [1, -1, 0, 0]
    assert (mc.tensor([1, 2], dtype=mc.uint8) ** mc.tensor(-1)).tolist() == [1, 0]  # -1 is 255 in uint8


# --- a Python int its integer tensor's dtype cannot hold ---------------------------------

img = mc.tensor([0, 128, 255], dtype=mc.uint8)

# (case, dtype, values): torch 2.13's results, written down from running each case there;
# true division takes the int at its own value, in float32; +, *, comparisons, //, % and &
# take it wrapped round into the tensor's dtype
OUT_OF_RANGE_CASES = [
    (lambda: img / 256, "float32", [0.0, 0.5, 0.99609375]),
    (lambda: img / -1, "float32", [-0.0, -128.0, -255.0]),
    (lambda: 256 / img, "float32", [np.inf, 2.0, 1.003921627998352]),
    (lambda: -1 / img, "float32", [-np.inf, -0.0078125, -0.003921568859368563]),
    (lambda: mc.div(img, 256), "float32", [0.0, 0.5, 0.99609375]),
    (lambda: img.div(256), "float32", [0.0, 0.5, 0.99609375]),
    (lambda: mc.div(256, img), "float32", [np.inf, 2.0, 1.003921627998352]),
    (lambda: i8([-128, 1, 127]) / 128, "float32", [-1.0, 0.0078125, 0.9921875]),
    (
        lambda: i8([-128, 1, 127]) / -129,
        "float32",
        [0.9922480583190918, -0.007751937955617905, -0.9844961166381836],
    ),
    (lambda: i32 / 2**32, "float32", [2.3283064365386963e-10, 4.656612873077393e-10]),
    (lambda: mc.tensor([1, -3]) / 2**63, "float32", [1.0842021724855044e-19, -3.2526065174565133e-19]),
    (lambda: mask / 256, "float32", [0.00390625, 0.0]),
    (lambda: img / True, "float32", [0.0, 128.0, 255.0]),
    (lambda: img + 300, "uint8", [44, 172, 43]),
    (lambda: 300 - img, "uint8", [44, 172, 45]),
    (lambda: img * 256, "uint8", [0, 0, 0]),
    (lambda: img == 256, "bool", [True, False, False]),
    (lambda: img < 256, "bool", [False, False, False]),
    (lambda: img >= -1, "bool", [False, False, True]),
    (lambda: 256**img, "uint8", [1, 0, 0]),
    (lambda: img // 257, "uint8", [0, 128, 255]),
    (lambda: img % 257, "uint8", [0, 0, 0]),
    (lambda: img & 256, "uint8", [0, 0, 0]),
    (lambda: i32 + 2**32, "int32", [1, 2]),
    (lambda: mc.tensor([1, -3]) + 2**63, "int64", [-(2**63) + 1, 2**63 - 3]),
    (lambda: i8([-128, 1, 127]) * 129, "int8", [-128, -127, -1]),
    # an unsigned dtype takes a negative int down to -max, as two's complement (torch.clamp's rule)
    (lambda: mc.where(mask, mc.tensor([1, 2], dtype=mc.uint8), -1), "uint8", [1, 255]),
    (lambda: mc.maximum(img, -1), "uint8", [255, 255, 255]),
    (lambda: mc.where(mask, mc.tensor([True, False]), 256), "int64", [1, 256]),  # bool: int64
]


@pytest.mark.parametrize("case, dtype, values", OUT_OF_RANGE_CASES)
def test_an_int_outside_an_integer_tensors_dtype_meets_it_as_in_pytorch(case, dtype, values):
    out = case()
    assert (out.dtype, out.tolist()) == (np.dtype(dtype), values)
    assert np.array_equal(np.signbit(out.numpy()), np.signbit(np.array(values)))  # -0.0 included


OUT_OF_RANGE_REFUSED = [  # PyTorch raises "value cannot be converted to type uint8_t without overflow"
    (lambda: mc.where(img > 0, img, 256), "where", 256, "uint8"),
    (lambda: mc.where(img > 0, -256, img), "where", -256, "uint8"),
    (lambda: img.where(img > 0, 300), "where", 300, "uint8"),
    (lambda: img**256, "pow", 256, "uint8"),
    (lambda: i8([1, 2]) ** 128, "pow", 128, "int8"),
    (lambda: i32 ** (2**31), "pow", 2**31, "int32"),
    (lambda: mc.maximum(i8([1, 2]), 300), "maximum", 300, "int8"),  # as torch.clamp(x, min=300)
    (lambda: mc.minimum(i8([1, 2]), -129), "minimum", -129, "int8"),
    (lambda: mc.maximum(40000, mc.tensor([1], dtype=mc.int16)), "maximum", 40000, "int16"),
]


@pytest.mark.parametrize("case, name, value, dtype", OUT_OF_RANGE_REFUSED)
def test_where_pow_maximum_and_minimum_refuse_an_int_the_dtype_cannot_hold(case, name, value, dtype):
    article = "an" if str(dtype).startswith("int") else "a"
    message = rf"^{name}: value {value} cannot be written into {article} {dtype} tensor without overflow$"
    with pytest.raises(ValueError, match=message):
        case()


@pytest.mark.parametrize("value", [2**64, -(2**63) - 1, 10**30])
@pytest.mark.parametrize(
    "name, op",
    [
        ("add", lambda t, v: t + v),
        ("div", lambda t, v: t / v),
        ("eq", lambda t, v: t == v),
        ("where", lambda t, v: mc.where(t > 0, t, v)),
    ],
)
def test_an_int_outside_int64_and_uint64_is_refused_naming_the_op(name, op, value):
    """As PyTorch ("int too big to convert"), beside a float tensor too; NumPy would make
    an object array of it (and ``==`` would answer False)."""
    for t in (i32, mc.tensor([1.0, 2.0])):
        with pytest.raises(ValueError, match=rf"^{name}: the int {value} is outside the range PyTorch takes"):
            op(t, value)


@pytest.mark.parametrize("value", [2**63, 2**64 - 1])
@pytest.mark.parametrize(
    "name, op",
    [
        ("add", lambda t, v: t + v),
        ("mul", lambda t, v: v * t),
        ("div", lambda t, v: t / v),
        ("eq", lambda t, v: t == v),
        ("bitwise_and", lambda t, v: t & v),
        ("where", lambda t, v: mc.where(t, t, v)),
    ],
)
def test_a_bool_tensor_and_an_int_only_uint64_holds_are_refused(name, op, value):
    """PyTorch: "Promotion for uint16, uint32, uint64 types is not supported" (NumPy would give
    uint64); an int64 tensor takes the same int, wrapped round (above)."""
    message = rf"^{name}: a bool tensor and the int {value}, which only uint64 holds, have no common dtype"
    with pytest.raises(TypeError, match=message):
        op(mask, value)
    assert op(mask, 2**63 - 1).dtype in (np.int64, np.float32, np.bool_)  # one below is taken


def test_a_numpy_integer_beside_a_bool_tensor_counts_as_a_python_int():
    """torch 2.13: mask + np.uint8(5) is int64, as mask + 5 (NumPy would give uint8)."""
    for number in (np.uint8(5), np.int32(5), np.uint64(5)):
        y = mask + number
        assert (y.dtype, y.tolist()) == (np.dtype("int64"), [6, 5])
        y = mc.where(mask, mask, number)
        assert (y.dtype, y.tolist()) == (np.dtype("int64"), [1, 5])


f32 = mc.tensor([1.0, 2.0])

FLOAT_OVERFLOW_REFUSED = [  # PyTorch: "value cannot be converted to type float without overflow"
    (lambda: mc.where(mask, f32, 1e40), "where", "float32"),
    (lambda: mc.where(mask, -3.5e38, f32), "where", "float32"),
    (lambda: mc.where(mask, i32, 1e40), "where", "float32"),  # (an int tensor and a float: float32)
    (lambda: mc.where(mask, 1e40, 1.0), "where", "float32"),  # (two numbers: float32)
    (lambda: mc.where(mask, 1e40, 1), "where", "float32"),
    (lambda: mc.where(mask, f32, np.float64(1e40)), "where", "float32"),
    (lambda: mc.maximum(f32, 1e40), "maximum", "float32"),  # (as torch.clamp(x, min=1e40))
    (lambda: mc.minimum(-1e40, f32), "minimum", "float32"),
]


@pytest.mark.parametrize("case, name, dtype", FLOAT_OVERFLOW_REFUSED)
def test_where_maximum_and_minimum_refuse_a_float_the_float_dtype_cannot_hold(case, name, dtype):
    with pytest.raises(
        ValueError, match=rf"^{name}: value -?(1e\+40|3\.5e\+38) cannot be written into a {dtype}"
    ):
        with np.errstate(over="raise"):  # (nothing is cast before the refusal)
            case()


def test_where_takes_what_fits_and_a_0d_float_tensor_as_arithmetic_does():
    """torch 2.13: inf, NaN and 3.4e38 fit float32, 1e40 fits float64, and a 0-d float64 tensor
    beside a float32 one is cast to float32 (inf where it overflows), as in ``x + t``."""
    assert mc.where(mask, f32, 3.4e38).tolist() == [1.0, np.float32(3.4e38)]
    assert mc.where(mask, f32, -np.inf).tolist() == [1.0, -np.inf]
    assert np.isnan(mc.where(mask, f32, np.nan).numpy()[1])
    assert mc.where(mask, f32.double(), 1e40).tolist() == [1.0, 1e40]
    assert mc.where(mask, f32, 2**63).tolist() == [1.0, 2.0**63]  # (an int: as float32)
    y = mc.where(mask, f32, mc.tensor(2.5, dtype=mc.float64))
    assert (y.dtype, y.tolist()) == (np.dtype("float32"), [1.0, 2.5])
    w = mc.tensor(2.5, dtype=mc.float64, requires_grad=True)
    mc.where(mask, f32, w).sum().backward()
    assert (w.grad.dtype, w.grad.item()) == (np.dtype("float64"), 1.0)
    with pytest.raises(TypeError, match="where: the tensors are float32 and float64"):
        mc.where(mask, f32, mc.tensor([2.5], dtype=mc.float64))  # (with dims: refused, as in +)


def test_a_number_on_the_left_of_and_or_xor_is_taken_as_pytorchs():
    """torch 2.13: 1 & x, True | mask and 300 ^ uint8 (300 wrapped, 44) as x & 1 ..."""
    u = mc.tensor([0, 1, 3, 200, 255], dtype=mc.uint8)
    for y, dtype, values in [
        (1 & u, "uint8", [0, 1, 1, 0, 1]),
        (300 ^ u, "uint8", [44, 45, 47, 228, 211]),
        (True | mask, "bool", [True, True]),
        (False ^ mask, "bool", [True, False]),
        (5 & mask, "int64", [1, 0]),
        (-1 | i32, "int32", [-1, -1]),
    ]:
        assert (y.dtype, y.tolist()) == (np.dtype(dtype), values)
    with pytest.raises(
        TypeError, match="^bitwise_and: expected bool or integer operands, got float32 and int"
    ):
        1 & f32


def test_a_number_over_a_bool_tensor_is_taken_as_pytorchs_reciprocal_times_it():
    """torch 2.13 computes n / mask as mask.reciprocal() * n, in float32: 2**63 / mask is taken
    there (mask / 2**63 is refused: a bool and uint64 have no common dtype)."""
    y = 2**63 / mask
    assert (y.dtype, y.tolist()) == (np.dtype("float32"), [2.0**63, np.inf])
    assert (3 / mask).tolist() == [3.0, np.inf]
    with pytest.raises(TypeError, match="^div: a bool tensor and the int 9223372036854775808"):
        mask / 2**63


def test_floor_division_by_a_0d_float64_tensor_keeps_float32_as_the_other_ops():
    rng = np.random.default_rng(38)
    a = rng.uniform(-5, 5, 4).astype(np.float32)
    x, d = mc.tensor(a), mc.tensor(np.float64(1.5))
    for y, expected in [(x // d, a // np.float32(1.5)), (d // x, np.float32(1.5) // a)]:
        assert y.dtype == np.float32
        np.testing.assert_array_equal(y.numpy(), expected)
    with pytest.raises(TypeError, match="^floor_divide: the tensors are float32 and float64"):
        x // mc.tensor(np.ones(4))  # (with dims: refused, as in +)
