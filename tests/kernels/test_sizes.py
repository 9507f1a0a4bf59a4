"""The shared size formula (conv_out_size, as PyTorch's for convolution and pooling) and
pair(), which reads an int or a pair of ints."""

import pytest

from minicnn.functional.checks import pair
from minicnn.kernels import sizes


@pytest.mark.parametrize(
    "n, k, s, p, d, ceil_mode, expected",
    [
        (7, 3, 2, 0, 1, False, 3),
        (7, 3, 2, 0, 1, True, 3),
        (6, 3, 2, 1, 1, True, 4),
        (5, 2, 2, 1, 1, True, 3),  # ceil would give 4, but that window starts in the padding
        (8, 2, 3, 1, 1, True, 3),
        (11, 5, 4, 2, 1, True, 4),
        (9, 3, 1, 2, 2, False, 9),
        (227, 11, 4, 0, 1, False, 55),  # AlexNet conv1
        (5, 5, 1, 0, 1, False, 1),
        (4, 5, 1, 0, 1, False, 0),
    ],
)
def test_conv_out_size_as_pytorch(n, k, s, p, d, ceil_mode, expected):
    assert sizes.conv_out_size(n, k, s, p, d, ceil_mode) == expected


def test_pair():
    assert pair(3) == (3, 3) and pair((2, 5)) == (2, 5) and pair([1, 4]) == (1, 4)
    with pytest.raises(TypeError, match=r"stride must be an int or a pair of ints, got \(1, 2, 3\)"):
        pair((1, 2, 3), "stride")
    with pytest.raises(TypeError, match=r"got 1.5"):
        pair(1.5)
