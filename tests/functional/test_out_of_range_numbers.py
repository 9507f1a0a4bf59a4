"""A Python number its tensor's dtype cannot hold: taken as PyTorch takes it (at its own value
in true division, wrapped round into the dtype elsewhere), or refused in one line naming the op
where PyTorch refuses it."""

import numpy as np
import pytest
from dtype_tensors import f32, i8, i32, mask

import minicnn as mc
import minicnn.functional as F

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
    with pytest.raises(RuntimeError, match=message) as caught:  # PyTorch's type
        case()
    assert isinstance(caught.value, ValueError)  # and minicnn's for a value's check


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
        RuntimeError, match=rf"^{name}: value -?(1e\+40|3\.5e\+38) cannot be written into a {dtype}"
    ) as caught:
        with np.errstate(over="raise"):  # (nothing is cast before the refusal)
            case()
    assert isinstance(caught.value, ValueError)


SCALAR_OVERFLOW_REFUSED = [  # PyTorch: a RuntimeError, "value cannot be converted to type float ..."
    (lambda: mc.clamp(f32, max=1e40), r"clamp: max 1e\+40 cannot be written into a float32"),
    (lambda: mc.clamp(f32, -1e40, 0.0), r"clamp: min -1e\+40 cannot be written into a float32"),
    (lambda: f32.clone().clamp_(max=1e40), r"clamp_\(\): max 1e\+40 cannot be written into a float32"),
    (lambda: mc.clamp_min(f32, 1e40), r"clamp_min: min 1e\+40 cannot be written into a float32"),
    (lambda: mc.clamp(img, max=300), r"clamp: max 300 cannot be written into a uint8"),
    (lambda: mc.add(f32, f32, alpha=1e40), r"add: alpha 1e\+40 cannot be written into a float32"),
    (lambda: f32.masked_fill(mask, 1e40), r"masked_fill: value 1e\+40 cannot be written into a float32"),
    (lambda: f32.clone().fill_(-1e40), r"fill_\(\): value -1e\+40 cannot be written into a float32"),
    (lambda: F.pad(f32, (1, 1), value=1e40), r"pad: value 1e\+40 cannot be written into a float32"),
]


@pytest.mark.parametrize("case, says", SCALAR_OVERFLOW_REFUSED)
def test_a_scalar_argument_the_dtype_cannot_hold_is_pytorchs_runtime_error(case, says):
    with pytest.raises(RuntimeError, match=rf"^{says} tensor without overflow$") as caught:
        case()
    assert isinstance(caught.value, ValueError) and type(caught.value).__name__ == "ValueOverflowError"


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
