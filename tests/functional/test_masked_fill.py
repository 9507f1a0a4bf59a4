"""masked_fill and masked_fill_: PyTorch's values where the broadcast mask is true, the value
converted to x's dtype as PyTorch converts it (an overflow refused), and the one-line refusals,
under minicnn's in-place rules (the other in-place methods: test_in_place_methods.py).
"""

import numpy as np
import pytest

import minicnn as mc


def test_masked_fill_writes_value_where_the_broadcast_mask_is_true():
    x = mc.tensor([[1.0, 2.0], [3.0, 4.0]])
    data = x.data
    assert x.masked_fill_(mc.tensor([True, False]), 9.0) is x  # one mask row for every row
    assert x.tolist() == [[9.0, 2.0], [9.0, 4.0]] and x.data is data
    x.masked_fill_(mc.tensor([[False], [True]]), mc.tensor(np.float64(-1.0)))
    assert x.tolist() == [[9.0, 2.0], [-1.0, -1.0]] and x.dtype == np.float32
    ints = mc.tensor([1, 2, 3])
    assert ints.masked_fill_(ints > 1, 7.9).tolist() == [1, 7, 7]  # cast to int64, as PyTorch
    with mc.no_grad():
        w = mc.tensor([1.0, 2.0], requires_grad=True)
        w.masked_fill_(mc.tensor([True, False]), 0.0)  # as an initializer does
    assert w.tolist() == [0.0, 2.0] and w.requires_grad


@pytest.mark.parametrize(
    "mask, value, error, message",
    [
        (mc.tensor([1, 0]), 0.0, TypeError, r"masked_fill_\(\): mask must be a bool Tensor, got int64$"),
        (
            np.array([True, False]),
            0.0,
            TypeError,
            r"masked_fill_\(\): mask must be a bool Tensor, got numpy.ndarray$",
        ),
        (
            mc.tensor([[True, False], [False, True]]),
            0.0,
            ValueError,
            r"masked_fill_\(\): mask of shape \(2, 2\) does not broadcast to x's shape \(2,\)$",
        ),
        (
            mc.tensor([True, False]),
            mc.tensor([1.0, 2.0]),
            ValueError,
            r"masked_fill_\(\): value must be a number or a 0-d tensor, got shape \(2,\)$",
        ),
        (
            mc.tensor([True, False]),
            "1",
            TypeError,
            r"masked_fill_\(\): value must be a number or a 0-d tensor, got str$",
        ),
        (
            mc.tensor([True, False]),
            mc.tensor(1.0, requires_grad=True),
            RuntimeError,
            r"masked_fill_\(\): value requires grad, and minicnn records no in-place operation; "
            r"write x = x.masked_fill\(mask, value\)$",
        ),
    ],
)
def test_masked_fill_refuses_bad_input_in_one_line(mask, value, error, message):
    x = mc.tensor([1.0, 2.0])
    with pytest.raises(error, match=message):
        x.masked_fill_(mask, value)
    assert x.tolist() == [1.0, 2.0]


def test_masked_fill_inside_a_graph_is_refused():
    w = mc.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(
        RuntimeError,
        match=r"masked_fill_\(\) on a Tensor inside an autograd graph: minicnn records no in-place "
        r"operations; write x = x.masked_fill\(mask, value\)$",
    ):
        (w * 2).masked_fill_(mc.tensor([True, False]), 0.0)


# (dtype, value, what PyTorch's masked_fill writes, or None where it refuses: overflow)
FILL_CASES = [
    ("uint8", -1, 255),
    ("uint8", -129, 127),
    ("uint8", 255, 255),
    ("uint8", 256, None),
    ("uint8", -300, None),
    ("uint8", 2.5, 2),
    ("uint8", -2.5, None),
    ("int8", -2.5, -2),
    ("int8", 255, None),
    ("int64", float("inf"), None),
    ("int32", float("nan"), None),
    ("int64", 2**63, None),
    ("int64", True, 1),
    ("float32", 1e40, None),
    ("float32", float("-inf"), float("-inf")),
    ("float64", 1e40, 1e40),
    ("float32", 1j, None),
]


@pytest.mark.parametrize("in_place", [False, True])
@pytest.mark.parametrize("dtype, value, expected", FILL_CASES)
def test_masked_fill_converts_its_value_as_pytorch_and_refuses_an_overflow(dtype, value, expected, in_place):
    x, mask = mc.zeros(2, dtype=getattr(mc, dtype)), mc.tensor([True, False])
    fill = x.masked_fill_ if in_place else x.masked_fill
    if expected is None:
        with pytest.raises(ValueError, match=rf"cannot be written into an? {dtype} tensor without overflow"):
            fill(mask, value)
        assert (x.numpy() == 0).all()  # refused before anything was written
    else:
        assert fill(mask, value).numpy().tolist() == [expected, 0]


@pytest.mark.parametrize("in_place", [False, True])
@pytest.mark.parametrize(
    "dtype, value, refused",
    [  # torch 2.13: a 0-d tensor value is converted as the number it holds ("without overflow")
        ("int8", mc.tensor(200, dtype=mc.uint8), True),
        ("int32", mc.tensor(float("nan")), True),
        ("float32", mc.tensor(1e40, dtype=mc.float64), True),
        ("uint8", mc.tensor(-1), False),  # (255, as a number would be)
        ("int32", mc.tensor(-2.7), False),  # (-2)
    ],
)
def test_masked_fill_converts_a_0d_tensor_value_as_the_number_it_holds(dtype, value, refused, in_place):
    x, mask = mc.zeros(2, dtype=getattr(mc, dtype)), mc.tensor([True, False])
    fill = x.masked_fill_ if in_place else x.masked_fill
    if refused:
        with pytest.raises(ValueError, match=rf"cannot be written into an? {dtype} tensor without overflow"):
            fill(mask, value)
        assert (x.numpy() == 0).all()
    else:
        assert fill(mask, value).tolist() == [{"uint8": 255, "int32": -2}[dtype], 0]


@pytest.mark.parametrize("in_place", [False, True])
@pytest.mark.parametrize(
    "dtype, value, expected",
    [  # torch 2.14 takes NumPy's scalars as numbers, bool included, as fill_ does
        ("int64", np.True_, 1),
        ("float32", np.True_, 1.0),
        ("bool", np.False_, False),
        ("uint8", np.int64(-1), 255),
        ("int8", np.float32(-2.5), -2),
        ("float64", np.float32(0.1), float(np.float32(0.1))),
    ],
)
def test_masked_fill_takes_a_numpy_scalar_as_pytorch(dtype, value, expected, in_place):
    x, mask = mc.ones(2, dtype=getattr(mc, dtype)), mc.tensor([True, False])
    fill = x.masked_fill_ if in_place else x.masked_fill
    assert fill(mask, value).tolist() == [expected, 1]
    assert mc.zeros(1, dtype=getattr(mc, dtype)).fill_(value).tolist() == [expected]
