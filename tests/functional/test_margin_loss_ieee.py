"""The margin and embedding losses where IEEE arithmetic gives inf or NaN (inf - inf, 0 * inf,
inf / inf, a square past the dtype's range): PyTorch's values and gradients, and no NumPy
RuntimeWarning, since those values are the answers and not a fault to report. The expected
numbers were computed with torch 2.14 (float64, reduction 'none', the gradient of y.sum())."""

import numpy as np
import pytest

import minicnn as mc
import minicnn.functional as F

inf, nan = np.inf, np.nan


def _t(values, grad=True):
    return mc.tensor(np.array(values, dtype=np.float64), requires_grad=grad)


# name: (loss of the given leaves, leaves' values, which leaves need a gradient, y, their gradients)
CASES = {
    "multi_margin_inf_minus_inf": (
        lambda x: F.multi_margin_loss(x, mc.tensor([0, 1, 2]), reduction="none"),
        [[[inf, inf, 0.0], [nan, 1.0, 2.0], [0.0, -inf, 1.0]]],
        [0.0, 2 / 3, 0.0],
        [[[0.0, 0.0, 0.0], [0.0, -1 / 3, 1 / 3], [0.0, 0.0, 0.0]]],
    ),
    "multi_margin_p2_square_overflows": (
        lambda x: F.multi_margin_loss(x, mc.tensor([1]), p=2, reduction="none"),
        [[[1e200, -1e200, 0.0]]],
        [inf],
        [[[4e200 / 3, -2e200, 2e200 / 3]]],
    ),
    "soft_margin_nan_and_inf": (
        lambda x: F.soft_margin_loss(x, _t([1.0, 1.0, -1.0, -1.0], False), reduction="none"),
        [[nan, inf, 1.0, -inf]],
        [nan, 0.0, 1.3132616875182228, 0.0],
        [[nan, -0.0, 0.7310585786300049, 0.0]],
    ),
    "multilabel_soft_margin_infinite_logits": (  # -inf with t = 1: inf, where bce's form has inf - inf
        lambda x, t: F.multilabel_soft_margin_loss(x, t, reduction="none"),
        [[[-inf], [inf], [-inf], [3.0]], [[1.0], [0.0], [0.0], [0.25]]],
        [inf, inf, nan, 2.298587351573742],
        [[[-1.0], [1.0], [0.0], [0.7025741268224333]], [[inf], [-inf], [inf], [-3.0]]],
    ),
    "margin_ranking_inf_minus_inf": (
        lambda a, b, y: F.margin_ranking_loss(a, b, y, reduction="none"),
        [[inf, nan, 1.0], [inf, 0.0, -inf], [1.0, 1.0, -1.0]],
        [nan, nan, inf],
        [[-0.0, -0.0, 1.0], [0.0, 0.0, -1.0], [nan, nan, -inf]],
    ),
    "hinge_embedding_both_terms_infinite": (
        lambda x: F.hinge_embedding_loss(x, _t([0.5, -1.0, 1.0], False), reduction="none"),
        [[-inf, inf, nan]],
        [nan, 0.0, nan],
        [[0.0, 0.0, 1.0]],
    ),
    "cosine_embedding_inf_over_inf": (
        lambda a, b: F.cosine_embedding_loss(a, b, _t([1.0, -1.0], False), reduction="none"),
        [[[inf, 1.0], [nan, 1.0]], [[1.0, 1.0], [1.0, 0.0]]],
        [nan, nan],
        [[[nan, nan], [nan, nan]], [[nan, nan], [nan, nan]]],
    ),
    "cosine_embedding_squared_norm_overflows": (  # |x|^2 past 1e308: NaN, not 1 (nor 0), as PyTorch
        lambda a, b: F.cosine_embedding_loss(a, b, _t([1.0, 1.0, -1.0], False), reduction="none"),
        [[[1e160, 1e160], [1.0, 2.0], [1e160, 0.0]], [[1e160, 1e160], [2.0, 1.0], [-1e160, 1.0]]],
        [nan, 0.20000000000016005, nan],
        [
            [[nan, nan], [-0.23999999999998398, 0.11999999999991201], [nan, nan]],
            [[nan, nan], [0.11999999999991201, -0.23999999999998398], [nan, nan]],
        ],
    ),
}


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("name", list(CASES))
def test_inf_and_nan_give_pytorchs_numbers_without_a_warning(name):
    loss, values, y_expected, g_expected = CASES[name]
    leaves = [_t(v) for v in values]
    y = loss(*leaves)
    y.sum().backward()
    np.testing.assert_array_equal(y.numpy(), y_expected)
    for leaf, g in zip(leaves, g_expected):
        np.testing.assert_allclose(leaf.grad.numpy(), g, rtol=1e-15, atol=0)
        zeros = np.array(g) == 0
        assert (np.signbit(leaf.grad.numpy()) == np.signbit(g))[zeros].all(), "the sign of 0"
