"""Numbers and dtypes in place, as PyTorch 2.13 takes them: ``x += y``, ``x.add_(y)`` and the
like compute what ``x + y`` computes (an int an integer x cannot hold wraps round into its
dtype, uint8 += 300 adds 44), in the dtype PyTorch computes it in, and write the result into
x's dtype, refusing in one line a result of a higher category (``int_x /= 2`` is float32);
a number written as it is (``fill_``, ``x[i] = v``, a clamp bound, add's alpha) is converted
as a fill value (-1 is 255 in uint8, 300 is refused). Every expected value below was written
down from running the same line in torch 2.13 (``mc`` for ``torch``).
"""

import re

import numpy as np
import pytest

import minicnn as mc

U8, I8, I32, I64 = [1, 2, 250], [1, -2, 100], [1, -2, 7], [1, -2, 7]
BOOLS, FLOATS = [True, False], [1.5, -2.0]


# (code, x's dtype, x's values, what torch 2.13 leaves in x): each written into x's own array
IN_PLACE_CASES = [
    # an int an integer x cannot hold wraps round into its dtype, as x + 300 does
    ("t += 1", "uint8", U8, [2, 3, 251]),
    ("t += 300", "uint8", U8, [45, 46, 38]),
    ("t -= 300", "uint8", U8, [213, 214, 206]),
    ("t *= -1", "uint8", U8, [255, 254, 6]),
    ("t *= 256", "uint8", U8, [0, 0, 0]),
    ("t += -129", "uint8", U8, [128, 129, 121]),
    ("t //= 300", "uint8", U8, [0, 0, 5]),
    ("t //= -1", "uint8", U8, [0, 0, 0]),
    ("t %= -129", "uint8", U8, [1, 2, 123]),
    ("t &= 300", "uint8", U8, [0, 0, 40]),
    ("t |= -1", "uint8", U8, [255, 255, 255]),
    ("t ^= 2**63", "uint8", U8, [1, 2, 250]),
    ("t **= True", "uint8", U8, [1, 2, 250]),
    ("t.add_(300)", "uint8", U8, [45, 46, 38]),
    ("t.sub_(-1)", "uint8", U8, [2, 3, 251]),
    ("t.mul_(-1)", "uint8", U8, [255, 254, 6]),
    ("t.add_(2**40)", "uint8", U8, [1, 2, 250]),
    ("t.mul_(2**40)", "uint8", U8, [0, 0, 0]),
    ("t.div_(300, rounding_mode='floor')", "uint8", U8, [0, 0, 5]),
    ("t.div_(-1, rounding_mode='trunc')", "uint8", U8, [0, 0, 0]),
    ("t //= 300", "int8", I8, [0, -1, 2]),
    ("t %= -129", "int8", I8, [1, 125, 100]),
    ("t.add_(-129)", "int8", I8, [-128, 125, -29]),
    ("t.mul_(-129)", "int8", I8, [127, 2, -100]),
    ("t += 2**63", "int64", I64, [-(2**63) + 1, 2**63 - 2, -(2**63) + 7]),
    ("t //= 2**63", "int64", I64, [-1, 0, -1]),
    ("t &= True", "int32", I32, [1, 0, 1]),
    # add's alpha is converted as a fill value, in the dtype the result is computed in
    ("t.add_(1, alpha=-1)", "uint8", U8, [0, 1, 249]),
    ("t.add_(1, alpha=-129)", "uint8", U8, [128, 129, 121]),
    ("t.add_(1, alpha=255)", "uint8", U8, [0, 1, 249]),
    ("t.add_(mc.tensor([1, 1, 1]), alpha=300)", "uint8", U8, [45, 46, 38]),  # (computed in int64)
    ("t.add_(mc.tensor([1, 1, 1]), alpha=2**40)", "int32", I32, [1, -2, 7]),
    ("t.sub_(1, alpha=128)", "int8", I8, [-127, 126, -28]),  # (PyTorch adds -alpha, -128)
    ("t.sub_(1, alpha=2**63)", "int64", I64, [-(2**63) + 1, 2**63 - 2, -(2**63) + 7]),
    # a tensor on the right: computed in the dtype x op y has, then cast to x's
    ("t += mc.tensor([-1, -1, -1], dtype=mc.int8)", "uint8", U8, [0, 1, 249]),
    ("t //= mc.tensor([-1, -1, -1], dtype=mc.int8)", "uint8", U8, [255, 254, 6]),  # in int16
    ("t //= mc.tensor([-1, -1, -1], dtype=mc.int8)", "int32", I32, [-1, 2, -7]),
    ("t += mc.tensor([1, 2, 3])", "int32", I32, [2, 0, 10]),
    ("t **= mc.tensor([2, 2, 2])", "uint8", U8, [1, 4, 36]),
    ("t **= mc.tensor([2, 2, 2])", "int32", I32, [1, 4, 49]),
    ("t += mc.tensor([True, True, True])", "uint8", U8, [2, 3, 251]),
    ("t *= mc.tensor(-1)", "uint8", U8, [255, 254, 6]),  # a 0-d int64 tensor: uint8's 255
    ("t += mc.tensor([1, 2])", "float32", FLOATS, [2.5, 0.0]),
    ("t += mc.tensor(np.array([1.0000001]))", "float32", [16777216.0], [16777218.0]),  # in float64
    ("t += mc.tensor(np.array([1e300, 1.0]))", "float32", FLOATS, [np.inf, -1.0]),
    ("t /= mc.tensor([True, True])", "float32", FLOATS, [1.5, -2.0]),
    # a bool x takes a bool result only
    ("t += True", "bool", BOOLS, [True, True]),
    ("t *= False", "bool", BOOLS, [False, False]),
    ("t **= True", "bool", BOOLS, [True, False]),
    ("t **= False", "bool", BOOLS, [True, True]),
    ("t ^= True", "bool", BOOLS, [False, True]),
    ("t &= mc.tensor([True, True])", "bool", BOOLS, [True, False]),
    ("t += mc.tensor([True, True])", "bool", BOOLS, [True, True]),
    ("t.add_(True, alpha=2)", "bool", BOOLS, [True, True]),
    # a float x takes ints, bools and floats in its own dtype
    ("t += True", "float32", FLOATS, [2.5, -1.0]),
    ("t += 2**63", "float32", FLOATS, [9.223372036854776e18, 9.223372036854776e18]),
    ("t *= 1e40", "float32", FLOATS, [np.inf, -np.inf]),
    ("t **= True", "float32", FLOATS, [1.5, -2.0]),
    ("t.add_(1e40, alpha=0)", "float32", FLOATS, [np.nan, np.nan]),  # (inf * 0)
    ("t.add_(mc.tensor(np.array([1.0, 1.0])), alpha=1e40)", "float32", FLOATS, [np.inf, np.inf]),
    ("t.add_(1, alpha=2**63)", "float32", FLOATS, [9.223372036854776e18, 9.223372036854776e18]),
    # a number written as it is: converted as a fill value
    ("t.fill_(-1)", "uint8", U8, [255, 255, 255]),
    ("t.fill_(-129)", "uint8", U8, [127, 127, 127]),
    ("t.fill_(2.7)", "uint8", U8, [2, 2, 2]),
    ("t.fill_(-2.7)", "int32", I32, [-2, -2, -2]),
    ("t.fill_(True)", "uint8", U8, [1, 1, 1]),
    ("t.fill_(mc.tensor(300))", "uint8", U8, [44, 44, 44]),  # a tensor is cast, as copy_ casts
    ("t.fill_(mc.tensor(-1))", "uint8", U8, [255, 255, 255]),
    ("t.fill_(mc.tensor(1.5))", "int32", I32, [1, 1, 1]),
    ("t.fill_(-1)", "bool", BOOLS, [True, True]),
    ("t.fill_(0.5)", "bool", BOOLS, [True, True]),
    ("t.fill_(2**63)", "float32", FLOATS, [9.223372036854776e18, 9.223372036854776e18]),
    ("t.fill_(mc.tensor(np.float64(1e40)))", "float32", FLOATS, [np.inf, np.inf]),
    ("t[0] = -1", "uint8", U8, [255, 2, 250]),
    ("t[0] = 2.5", "uint8", U8, [2, 2, 250]),
    ("t[0:2] = -129", "uint8", U8, [127, 127, 250]),
    ("t[mc.tensor([True, False, True])] = -1", "uint8", U8, [255, 2, 255]),
    ("t[0] = mc.tensor(300)", "uint8", U8, [44, 2, 250]),
    ("t[0] = 2", "bool", BOOLS, [True, False]),
    ("t.clamp_(min=-1)", "uint8", U8, [255, 255, 255]),
    ("t.clamp_(min=-129)", "uint8", U8, [127, 127, 250]),
    ("t.clamp_(max=-129)", "uint8", U8, [1, 2, 127]),
    ("t.clamp_(True)", "int32", I32, [1, 1, 7]),
    ("t.clamp_(min=mc.tensor(300))", "uint8", U8, [44, 44, 250]),  # a 0-d int64 bound: uint8's 44
    ("t.clamp_(max=mc.tensor(300))", "uint8", U8, [1, 2, 44]),
    ("t.clamp_(min=float('-inf'))", "float32", FLOATS, [1.5, -2.0]),
]


@pytest.mark.parametrize("code, dtype, values, expected", IN_PLACE_CASES)
def test_numbers_and_tensors_in_place_give_pytorchs_values_in_xs_array(code, dtype, values, expected):
    t = mc.tensor(values, dtype=getattr(mc, dtype))
    data = t.data
    scope = {"mc": mc, "np": np, "t": t}
    exec(code, scope)  # (the line as a user writes it, augmented assignment included)
    assert scope["t"] is t and t.data is data and t.dtype == np.dtype(dtype)  # in place
    np.testing.assert_array_equal(t.numpy(), np.array(expected, dtype=dtype))


# (code, the dtype and values torch 2.13 gives): clamp's and add's numbers out of place
OUT_OF_PLACE_CASES = [
    ("mc.clamp(mc.tensor(U8, dtype=mc.uint8), max=-1)", "uint8", [1, 2, 250]),
    ("mc.clamp(mc.tensor(U8, dtype=mc.uint8), min=-1)", "uint8", [255, 255, 255]),
    ("mc.clamp(mc.tensor(U8, dtype=mc.uint8), min=-129)", "uint8", [127, 127, 250]),
    ("mc.clamp(mc.tensor(I32, dtype=mc.int32), True)", "int32", [1, 1, 7]),
    ("mc.clamp(mc.tensor(U8, dtype=mc.uint8), max=1.5)", "float32", [1.0, 1.5, 1.5]),
    ("mc.clamp(mc.tensor(BOOLS), max=1)", "int64", [1, 0]),
    ("mc.clamp(mc.tensor(BOOLS), min=True, max=5)", "int64", [1, 1]),
    ("mc.clamp(mc.tensor(BOOLS), min=0.5)", "float32", [1.0, 0.5]),
    ("mc.clamp(mc.tensor(FLOATS), min=2**63)", "float32", [9.223372036854776e18, 9.223372036854776e18]),
    ("mc.add(mc.tensor(U8, dtype=mc.uint8), 1, alpha=-1)", "uint8", [0, 1, 249]),
    ("mc.add(mc.tensor(U8, dtype=mc.uint8), 1, alpha=-255)", "uint8", [2, 3, 251]),
    ("mc.sub(mc.tensor(U8, dtype=mc.uint8), 1, alpha=-1)", "uint8", [2, 3, 251]),
    ("mc.add(mc.tensor(U8, dtype=mc.uint8), mc.tensor([1, 1, 1]), alpha=-1)", "int64", [0, 1, 249]),
    ("mc.sub(mc.tensor(I8, dtype=mc.int8), 1, alpha=128)", "int8", [-127, 126, -28]),
]


@pytest.mark.parametrize("code, dtype, expected", OUT_OF_PLACE_CASES)
def test_clamp_bounds_and_alpha_out_of_place_are_converted_as_pytorch(code, dtype, expected):
    out = eval(code, {"mc": mc, "U8": U8, "I8": I8, "I32": I32, "BOOLS": BOOLS, "FLOATS": FLOATS})
    assert out.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(out.numpy(), np.array(expected, dtype=dtype))


X = {"uint8": U8, "int8": I8, "int32": I32, "int64": I64, "bool": BOOLS, "float32": FLOATS}

# torch 2.13 refuses each of these in one line; so does minicnn, naming the op, before anything
# is written. (code, x's dtype, what the message names, the dtype it names): a number the dtype
# cannot hold, where it is written as it is, is a clamp bound or alpha, or a power's exponent
# ("value cannot be converted to type uint8_t without overflow")
OVERFLOW = [
    ("t.fill_(300)", "uint8", "fill_(): value 300", "uint8"),
    ("t.fill_(-256)", "uint8", "fill_(): value -256", "uint8"),
    ("t.fill_(-2.7)", "uint8", "fill_(): value -2.7", "uint8"),
    ("t.fill_(1e40)", "float32", "fill_(): value 1e+40", "float32"),
    ("t[0] = 300", "uint8", "x[index] = value: value 300", "uint8"),
    ("t[t > 1] = 256", "uint8", "x[index] = value: value 256", "uint8"),
    ("t[0] = 2**40", "int32", "x[index] = value: value 1099511627776", "int32"),
    ("t[0] = float('nan')", "int32", "x[index] = value: value nan", "int32"),
    ("t[0] = 1e40", "float32", "x[index] = value: value 1e+40", "float32"),
    ("t.clamp_(max=300)", "uint8", "clamp_(): max 300", "uint8"),
    ("t.clamp_(-300)", "uint8", "clamp_(): min -300", "uint8"),
    ("t.clamp_(max=1e40)", "float32", "clamp_(): max 1e+40", "float32"),
    ("mc.clamp(t, min=300)", "int8", "clamp: min 300", "int8"),
    ("mc.clamp(t, max=-129)", "int8", "clamp: max -129", "int8"),
    ("mc.clamp(t, min=2**63)", "uint8", "clamp: min 9223372036854775808", "uint8"),
    ("t.clamp(max=1e40)", "int32", "clamp: max 1e+40", "float32"),  # (a float bound: float32)
    ("t.add_(1, alpha=300)", "uint8", "add_(): alpha 300", "uint8"),
    ("t.add_(mc.tensor(1), alpha=300)", "uint8", "add_(): alpha 300", "uint8"),  # (a 0-d int64)
    ("t.add_(1, alpha=1e40)", "float32", "add_(): alpha 1e+40", "float32"),
    ("mc.add(t, 1, alpha=256)", "uint8", "add: alpha 256", "uint8"),
    ("mc.sub(t, 1, alpha=-128)", "int8", "sub: -alpha 128", "int8"),  # (PyTorch adds -alpha)
    ("t.sub_(1, alpha=-128)", "int8", "sub_(): -alpha 128", "int8"),
    ("t **= 300", "uint8", "**=: value 300", "uint8"),
    ("t **= 2**63", "int64", "**=: value 9223372036854775808", "int64"),
]


@pytest.mark.parametrize("code, dtype, said, in_dtype", OVERFLOW)
def test_a_number_the_dtype_cannot_hold_is_refused_naming_the_op(code, dtype, said, in_dtype):
    article = "an" if in_dtype.startswith("int") else "a"
    message = f"{said} cannot be written into {article} {in_dtype} tensor without overflow"
    _refused(code, dtype, ValueError, "^" + re.escape(message) + "$")


# (code, x's dtype, the op, other as the message names it, the result's dtype, the way out): a
# result of a higher category than x's ("result type Float can't be cast to ... Long")
WIDER = [
    ("t /= 2", "uint8", "/=", "y int", "float32", "write x = x / y"),
    ("t /= 2", "int64", "/=", "y int", "float32", "write x = x / y"),
    ("t /= mc.tensor([2, 2, 2])", "int32", "/=", "y int64", "float32", "write x = x / y"),
    ("t.div_(2)", "int64", "div_()", "other int", "float32", "write x = x / other"),
    ("t += 0.5", "int32", "+=", "y float", "float32", "write x = x + y"),
    ("t += mc.tensor([1.0, 1.0, 1.0])", "int32", "+=", "y float32", "float32", "write x = x + y"),
    ("t += mc.tensor(1.5)", "uint8", "+=", "y float32", "float32", "write x = x + y"),
    ("t **= 0.5", "uint8", "**=", "y float", "float32", "write x = x ** y"),
    ("t &= 1.5", "uint8", "&=", "y float", "float32", "write x = x & y"),
    ("t.mul_(mc.tensor(2.0))", "uint8", "mul_()", "other float32", "float32", "write x = x * other"),
    (
        "t.div_(0.5, rounding_mode='trunc')",
        "int32",
        "div_()",
        "other float",
        "float32",
        "write x = x.div(other, rounding_mode='trunc')",
    ),
    ("t += 1", "bool", "+=", "y int", "int64", "write x = x + y"),
    ("t += 1.5", "bool", "+=", "y float", "float32", "write x = x + y"),
    ("t += mc.tensor([1, 1])", "bool", "+=", "y int64", "int64", "write x = x + y"),
    ("t /= True", "bool", "/=", "y bool", "float32", "write x = x / y"),
    ("t **= 2", "bool", "**=", "y int", "int64", "write x = x ** y"),
    ("t |= 1", "bool", "|=", "y int", "int64", "write x = x | y"),
    ("t.add_(1)", "bool", "add_()", "other int", "int64", "write x = x + other"),
]


@pytest.mark.parametrize("code, dtype, name, other, result, instead", WIDER)
def test_a_result_of_a_higher_category_than_xs_is_refused_in_place(code, dtype, name, other, result, instead):
    message = (
        f"{name}: x is {dtype} and {other}, whose result cannot be written into x's {dtype} array "
        f"in place (PyTorch computes it in {result}); {instead}"
    )
    _refused(code, dtype, TypeError, "^" + re.escape(message) + "$")


# (code, x's dtype, the error, how its message starts): an int wrapped round to 0 divides by
# zero ("ZeroDivisionError"); PyTorch has no bool kernel for these, takes no int outside
# [-2**63, 2**64) ("int too big to convert"), and fill_ takes a number or a 0-d tensor
OTHER_REFUSALS = [
    ("t //= 256", "uint8", ZeroDivisionError, "//=: integer division by zero"),
    ("t %= 2**63", "uint8", ZeroDivisionError, "%=: integer division by zero"),
    ("t.div_(256, rounding_mode='trunc')", "uint8", ZeroDivisionError, "div_(): integer division by zero"),
    ("t -= True", "bool", TypeError, "-=: expected no bool operand (PyTorch subtracts none)"),
    ("t //= True", "bool", TypeError, "//=: expected at most one bool operand (as PyTorch)"),
    ("t %= True", "bool", TypeError, "%=: expected at most one bool operand (as PyTorch)"),
    ("t **= mc.tensor([True, False])", "bool", TypeError, "**=: expected at most one bool operand"),
    ("t.div_(True, rounding_mode='floor')", "bool", TypeError, "div_(): expected at most one bool "),
    ("t &= 1", "float32", TypeError, "&=: expected bool or integer operands, got float32 and y int"),
    (
        "mc.clamp(t, min=2**64)",
        "float32",
        ValueError,
        "clamp: the int 18446744073709551616 is outside the range",
    ),
    # x[index] = v reads a Python int as an int64 in PyTorch ("Overflow when unpacking long long"),
    # whatever x's dtype; fill_ takes the same int
    (
        "t[0] = 2**63",
        "float32",
        ValueError,
        "x[index] = value: the int 9223372036854775808 is outside [-2**63",
    ),
    ("t[t > 0] = -(2**63) - 1", "float32", ValueError, "x[index] = value: the int -9223372036854775809 "),
    ("t[0] = 2**64 - 1", "int64", ValueError, "x[index] = value: the int 18446744073709551615 is outside"),
    ("t[0] = 2**63", "bool", ValueError, "x[index] = value: the int 9223372036854775808 is outside [-2"),
    ("t.fill_(mc.tensor([3.0]))", "float32", ValueError, "fill_(): value must be a number or a 0-d "),
    ("t.fill_('a')", "float32", TypeError, "fill_(): value must be a number or a 0-d tensor, got str"),
]


@pytest.mark.parametrize("code, dtype, error, start", OTHER_REFUSALS)
def test_zero_divisors_bool_kernels_and_fill_values_are_refused_as_in_pytorch(code, dtype, error, start):
    _refused(code, dtype, error, "^" + re.escape(start))


def _refused(code, dtype, error, message):
    t = mc.tensor(X[dtype], dtype=getattr(mc, dtype))
    with pytest.raises(error, match=message) as caught:
        exec(code, {"mc": mc, "t": t})
    assert "\n" not in str(caught.value)
    assert t.tolist() == X[dtype]  # refused before anything was written


def test_and_or_xor_in_place_write_into_xs_array_and_count_the_change():
    mask = mc.tensor([True, False, True])
    data, seen = mask.data, mask._changed_at[0]
    mask &= mc.tensor([True, True, False])
    mask |= mc.tensor([False, True, False])
    mask ^= True
    assert mask.data is data and mask.tolist() == [False, False, True]
    assert mask._changed_at[0] > seen  # (counted, as every change in place)


def test_in_place_on_tensors_that_require_grad_keeps_its_rules():
    w = mc.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(
        RuntimeError, match=r"^a leaf Tensor that requires grad is used in an in-place operation"
    ):
        w += 300
    with pytest.raises(RuntimeError, match=r"^a leaf Tensor that requires grad is used .* \(fill_\(\)\)"):
        w.fill_(-1)
    with pytest.raises(RuntimeError, match=r"^clamp_\(\) on a Tensor inside an autograd graph"):
        (w * 2).clamp_(min=-1)
    x = mc.tensor([1, 2], dtype=mc.int32)
    y = mc.tensor([0.5, 0.5], requires_grad=True)
    x += y  # a gradient would be recorded: x = x + y, a new float32 tensor (in its graph)
    assert x.dtype == np.float32 and x.requires_grad and x.tolist() == [1.5, 2.5]
    with mc.no_grad():
        w.add_(1, alpha=-1)
        w[0] = -1
    assert w.is_leaf and w.tolist() == [-1.0, 1.0]
