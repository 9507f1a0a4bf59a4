"""F.pad beyond the registry's golden cases: what each mode reads, and its one-line errors."""

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


def test_a_pixel_read_into_several_places_gets_the_sum_of_their_gradients():
    x = mc.tensor(np.random.default_rng(3).standard_normal((1, 1, 3, 4)), requires_grad=True)
    F.pad(x, (2, 2, 1, 1), mode="replicate").sum().backward()
    # rows 0 and 2 are read twice (themselves and one border row), columns 0 and 3 three times
    counts = np.outer([2, 1, 2], [3, 1, 1, 3])
    np.testing.assert_array_equal(x.grad.numpy()[0, 0], counts)


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
            lambda x: F.pad(x, (-1, 0), mode="replicate"),
            ValueError,
            r"negative amounts crop in mode 'constant' only",
        ),
        (lambda x: F.pad(x, (-3, -2)), ValueError, r"dim 2 of size 4 cropped by 5 would be negative"),
    ],
)
def test_bad_pads_are_refused_in_one_line(call, error, message):
    with pytest.raises(error, match=message):
        call(mc.zeros(2, 3, 4))
