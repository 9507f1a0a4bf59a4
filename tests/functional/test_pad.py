"""F.pad beyond the registries' golden cases (gen_basic.py, gen_layers.py): what each mode
reads, crops included, PyTorch's limits on ranks and sizes, and the one-line errors."""

import warnings

import numpy as np
import pytest

import minicnn as mc
import minicnn.functional as F


def test_each_mode_reads_the_positions_pytorch_documents():
    row = mc.tensor([[1.0, 2.0, 3.0]])
    assert F.pad(row, (2, 1)).tolist() == [[0.0, 0.0, 1.0, 2.0, 3.0, 0.0]]
    assert F.pad(row, (2, 1), value=-1.0).tolist() == [[-1.0, -1.0, 1.0, 2.0, 3.0, -1.0]]
    assert F.pad(row, (-1, 1)).tolist() == [[2.0, 3.0, 0.0]]
    assert F.pad(row, (2, 1), mode="reflect").tolist() == [[3.0, 2.0, 1.0, 2.0, 3.0, 2.0]]
    assert F.pad(row, (2, 1), mode="replicate").tolist() == [[1.0, 1.0, 1.0, 2.0, 3.0, 3.0]]
    assert F.pad(row, (2, 1), mode="circular").tolist() == [[2.0, 3.0, 1.0, 2.0, 3.0, 1.0]]


@pytest.mark.parametrize(
    "mode, pad, read",
    [  # PyTorch's outputs for the row [0, 1, 2, 3]
        ("reflect", (-2, 2), [2, 3, 2, 1]),  # reflected about the uncropped edge
        ("reflect", (2, -3), [2, 1, 0]),
        ("reflect", (-5, 2), [1]),  # a crop past the size, read folded back
        ("replicate", (-2, 3), [2, 3, 3, 3, 3]),
        ("replicate", (3, -3), [0, 0, 0, 0]),
        ("replicate", (-5, 2), [3]),
        ("circular", (-2, 2), [2, 3, 2, 3]),  # wrapped round what is left after the crop
        ("circular", (1, -1), [2, 0, 1, 2]),
        ("constant", (-4, 1), [0]),
    ],
)
def test_a_negative_amount_crops_in_every_mode_as_in_pytorch(mode, pad, read):
    assert F.pad(mc.arange(4.0).reshape(1, 4), pad, mode=mode).tolist() == [[float(v) for v in read]]


def test_a_pixel_read_into_several_places_gets_the_sum_of_their_gradients():
    x = mc.tensor(np.random.default_rng(3).standard_normal((1, 1, 3, 4)), requires_grad=True)
    F.pad(x, (2, 2, 1, 1), mode="replicate").sum().backward()
    # rows 0 and 2 are read twice (themselves and one border row), columns 0 and 3 three times
    counts = np.outer([2, 1, 2], [3, 1, 1, 3])
    np.testing.assert_array_equal(x.grad.numpy()[0, 0], counts)


def test_constant_mode_copies_each_gradient_and_the_others_sum_them(rng):
    """Constant mode reads each input position once, so its gradient is gy's value there, a
    -0.0 included (PyTorch's slice); reflect sums, and a sum starts from +0.0, as PyTorch's."""
    x = mc.tensor(rng.standard_normal((2, 3, 4)), requires_grad=True)
    gy = rng.standard_normal((2, 5, 7))
    gy[:, 1:4, 1:5] = -0.0
    F.pad(x, (1, 2, 1, 1)).backward(mc.tensor(gy))
    assert (x.grad.numpy() == 0).all() and np.signbit(x.grad.numpy()).all()
    x.grad = None
    F.pad(x, (-1, 2, 1, 1), value=3.0).backward(mc.tensor(gy[:, :, :5]))
    np.testing.assert_array_equal(x.grad.numpy()[:, :, 1:], gy[:, 1:4, :3])
    assert (x.grad.numpy()[:, :, 0] == 0).all()
    x.grad = None
    F.pad(x, (0, 0, 1, 1), mode="reflect").backward(mc.tensor(gy[:, :, :4]))
    assert (x.grad.numpy()[:, 0, 1:] == 0).all() and not np.signbit(x.grad.numpy()[:, 0, 1:]).any()


def test_infinite_gradients_summed_by_reflect_give_nan_without_a_warning():
    x = mc.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.pad(x, (1, 0), mode="reflect").backward(mc.tensor([[np.inf, 1.0, -np.inf, 1.0]]))
    np.testing.assert_array_equal(x.grad.numpy(), [[1.0, np.nan, 1.0]])


@pytest.mark.parametrize(
    "dtype, value, filled",
    [  # PyTorch's conversions of the border value
        ("float32", 3e38, 3e38),
        ("float32", -np.inf, -np.inf),
        ("float32", np.nan, np.nan),
        ("int64", 1.9, 1),
        ("int64", -1.5, -1),
        ("int8", -0.5, 0),
        ("uint8", 255, 255),
        ("uint8", 0.9, 0),
        ("bool", 0.5, True),
        ("bool", np.nan, True),
    ],
)
def test_the_value_is_converted_as_pytorch_converts_it(dtype, value, filled):
    y = F.pad(mc.tensor(np.zeros(2, dtype=dtype)), (1, 0), value=value).numpy()
    assert y.dtype == dtype
    np.testing.assert_array_equal(y[0], np.array(filled, dtype=dtype))


@pytest.mark.parametrize(
    "dtype, value",
    [("float32", 1e40), ("float32", -1e39), ("int64", np.nan), ("int64", np.inf), ("int64", 2**63)]
    + [("uint8", -1), ("uint8", 300), ("uint8", 255.5), ("uint8", -0.5), ("int8", -128.5)],
)
def test_a_value_the_dtype_cannot_hold_is_refused_as_pytorch_refuses_it(dtype, value):
    """Where a border takes it; a crop or no padding at all writes no value, and refuses none."""
    x = mc.tensor(np.zeros(2, dtype=dtype))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # refused before NumPy's cast could warn
        with pytest.raises(ValueError, match=rf"^pad: value .* cannot be written into an? {dtype} tensor"):
            F.pad(x, (1, 0), value=value)
        assert F.pad(x, (-1, 0), value=value).shape == (1,) and F.pad(x, (0, 0), value=value).shape == (2,)


def test_a_constant_border_round_an_empty_dim_is_all_value(rng):
    x = mc.tensor(rng.standard_normal((2, 0, 3)), requires_grad=True)
    y = F.pad(x, (1, 1, 2, 0), value=2.0)
    assert y.shape == (2, 2, 5) and (y.numpy() == 2.0).all()
    y.sum().backward()
    assert x.grad.shape == (2, 0, 3)


def test_circular_and_constant_modes_take_a_bool_input():
    x = mc.tensor([[True, False, False]])
    assert F.pad(x, (1, 1), mode="circular").tolist() == [[False, True, False, False, True]]
    assert F.pad(x, (1, 0), value=True).tolist() == [[True, True, False, False]]


def test_the_batch_dim_may_be_empty(rng):
    assert F.pad(mc.zeros(0, 2, 3, 3), (1, 1, 1, 1), mode="reflect").shape == (0, 2, 5, 5)
    assert F.pad(mc.zeros(0, 4), (1, 1), mode="circular").shape == (0, 6)
    # a padded dim left empty while another keeps values: an empty result, as PyTorch's
    assert F.pad(mc.tensor(rng.standard_normal((2, 3, 4))), (-4, 0, 1, 0), mode="replicate").shape == (
        2,
        4,
        0,
    )


@pytest.mark.parametrize(
    "shape, pad",
    [((4,), (1, 1)), ((2, 3, 4, 5), (1, 1)), ((3, 4), (1, 1, 1, 1)), ((1, 1, 1, 1, 1, 1), (1,) * 6)],
)
@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_the_other_modes_take_the_ranks_pytorch_takes(shape, pad, mode):
    with pytest.raises(
        NotImplementedError, match=rf"^pad: mode '{mode}' takes 2 amounts for a 2-D or 3-D input"
    ):
        F.pad(mc.zeros(*shape), pad, mode=mode)


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda x: F.pad(x, (1,)), ValueError, r"^pad: pad must be a tuple of \(before, after\) pairs"),
        (lambda x: F.pad(x, (1, 1) * 4), ValueError, r"at most one per dim of input \(2, 3, 4\)"),
        (lambda x: F.pad(x, (1.5, 1)), TypeError, r"^pad: the amounts must be ints"),
        (lambda x: F.pad(x, (1, 1), mode="mirror"), ValueError, r"^pad: mode must be one of 'constant'"),
        (
            lambda x: F.pad(x, (1, 1), mode="reflect", value=2.0),
            ValueError,
            r"value is for mode 'constant' only",
        ),
        (
            lambda x: F.pad(x, (4, 0), mode="reflect"),
            ValueError,
            r"reflect needs amounts below the dim's size 4",
        ),
        (lambda x: F.pad(x, (5, 0), mode="circular"), ValueError, r"circular needs amounts of at most"),
        (
            lambda x: F.pad(x, (-2, 3), mode="circular"),  # PyTorch: an overlapping copy
            ValueError,
            r"circular needs amounts of at most the dim's size 2 \(dim 2, 4 cropped by 2\)",
        ),
        (lambda x: F.pad(x, (-3, -2)), ValueError, r"dim 2 of size 4 cropped by 5 would be negative"),
        (
            lambda x: F.pad(x, (-3, -2), mode="replicate"),
            ValueError,
            r"dim 2 of size 4 padded by \(-3, -2\) would have size -1",
        ),
        (
            lambda x: F.pad(x, (-4, 0, -3, 0), mode="reflect"),
            ValueError,
            r"mode 'reflect' leaves no value in any padded dim of input \(2, 3, 4\)",
        ),
        (
            lambda x: F.pad(x[:, :0], (1, 1), mode="replicate"),
            ValueError,
            r"mode 'replicate' needs every dim but the batch's non-empty, got input \(2, 0, 4\)",
        ),
        (
            lambda x: F.pad(x, (1, 1), name="ReflectionPad2d at 'pad'", mode="mirror"),
            ValueError,
            r"^ReflectionPad2d at 'pad':",
        ),
        (lambda x: F.pad(x, (1, 1), value="1"), TypeError, r"^pad: value must be a real number, got str '1'"),
        (lambda x: F.pad(x > 0, (1, 1), mode="reflect"), TypeError, r"^pad: mode 'reflect' takes no bool"),
        (lambda x: F.pad(x > 0, (1, 1), mode="replicate"), TypeError, r"mode 'replicate' takes no bool"),
        (lambda x: F.pad(x, (1, 1), value=1j), TypeError, r"^pad: value must be a real number, got complex"),
    ],
)
def test_bad_pads_are_refused_in_one_line(call, error, message):
    with pytest.raises(error, match=message):
        call(mc.zeros(2, 3, 4))
