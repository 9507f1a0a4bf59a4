"""F.one_hot: class indices as int64 one-hot rows, as torch.nn.functional.one_hot."""

import numpy as np
import pytest

import minicnn as mc
import minicnn.functional as F


def test_one_hot_rows_and_shapes_as_in_pytorch():
    # torch.nn.functional.one_hot(torch.tensor([[0, 2], [1, 1]])) gives these, int64
    y = F.one_hot(mc.tensor([[0, 2], [1, 1]]))
    assert y.dtype == np.int64 and y.shape == (2, 2, 3)
    assert y.tolist() == [[[1, 0, 0], [0, 0, 1]], [[0, 1, 0], [0, 1, 0]]]
    assert F.one_hot(mc.tensor([3]), 5).tolist() == [[0, 0, 0, 1, 0]]
    assert F.one_hot(mc.zeros(0, dtype=mc.int64), 4).shape == (0, 4)


def test_one_hot_of_random_labels_puts_one_1_per_row_at_the_label():
    labels = np.random.default_rng(7).integers(0, 10, (4, 6))
    y = F.one_hot(mc.tensor(labels), 10).numpy()
    assert (y.sum(-1) == 1).all() and (y.argmax(-1) == labels).all()


@pytest.mark.parametrize(
    "call, error, message",
    [
        (
            lambda: F.one_hot(mc.tensor([1.0])),
            TypeError,
            r"^one_hot: expected int64 class indices, got float32",
        ),
        (
            lambda: F.one_hot(mc.tensor([3]), 3),
            ValueError,
            r"^one_hot: class index 3 is not less than num_classes=3",
        ),
        (lambda: F.one_hot(mc.tensor([-1])), ValueError, r"^one_hot: class indices must be >= 0, got -1$"),
        (
            lambda: F.one_hot(mc.zeros(0, dtype=mc.int64)),
            ValueError,
            r"^one_hot: cannot infer the number of classes",
        ),
        (lambda: F.one_hot(mc.tensor([1]), 2.0), ValueError, r"^one_hot: num_classes must be an int >= 0"),
    ],
)
def test_bad_labels_are_refused_in_one_line(call, error, message):
    with pytest.raises(error, match=message):
        call()
