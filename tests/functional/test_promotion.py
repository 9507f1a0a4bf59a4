"""The dtype two operands meet in, as PyTorch's: integer and bool tensors of every width, 0-d
tensors and numbers; the bool arithmetic PyTorch refuses (in one line naming the op) and the
bool arithmetic it takes; integers to negative integer powers."""

import numpy as np
import pytest
from dtype_tensors import f32, i8, i32, mask, u8

import minicnn as mc

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


def test_a_numpy_integer_beside_a_bool_tensor_counts_as_a_python_int():
    """torch 2.13: mask + np.uint8(5) is int64, as mask + 5 (NumPy would give uint8)."""
    for number in (np.uint8(5), np.int32(5), np.uint64(5)):
        y = mask + number
        assert (y.dtype, y.tolist()) == (np.dtype("int64"), [6, 5])
        y = mc.where(mask, mask, number)
        assert (y.dtype, y.tolist()) == (np.dtype("int64"), [1, 5])


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
