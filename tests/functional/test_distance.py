"""normalize, cosine_similarity and pairwise_distance beyond the golden cases of
tests/fixtures/gen_layers.py: their formulas at the edges (zero vectors, eps, broadcasting,
0-d and 1-d inputs) and what they refuse."""

import math

import numpy as np
import pytest

import minicnn as mc
import minicnn.functional as F


def test_normalize_gives_unit_vectors_and_leaves_a_zero_one_at_zero(rng):
    x = rng.standard_normal((3, 4, 2))
    for p, dim, length in (
        (2, 1, lambda y: np.sqrt((y * y).sum(1))),
        (1, -1, lambda y: np.abs(y).sum(-1)),
        (math.inf, (0, 2), lambda y: np.abs(y).max((0, 2))),
    ):
        np.testing.assert_allclose(length(F.normalize(mc.tensor(x), p=p, dim=dim).numpy()), 1.0, rtol=1e-12)
    z = mc.zeros(2, 3, requires_grad=True)
    y = F.normalize(z)
    y.sum().backward()
    # below eps the divisor is eps: y = x / eps, so the gradient is 1 / eps, PyTorch's too
    assert y.tolist() == [[0.0] * 3] * 2 and (z.grad.numpy() == 1e12).all()


def test_cosine_similarity_is_the_cosine_and_broadcasts(rng):
    a, b = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
    want = (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
    y = F.cosine_similarity(mc.tensor(a), mc.tensor(b))
    np.testing.assert_allclose(y.numpy(), want, rtol=1e-12)
    assert (np.abs(y.numpy()) <= 1).all()
    # dim counts in the broadcast shape: (5, 3) and (3,) along dim 1, (1, 3) along dim 0
    row = (a @ b[0]) / np.linalg.norm(a, axis=1) / np.linalg.norm(b[0])
    np.testing.assert_allclose(F.cosine_similarity(mc.tensor(a), mc.tensor(b[0])).numpy(), row, rtol=1e-12)
    assert F.cosine_similarity(mc.tensor(a), mc.tensor(b[:1]), dim=0).shape == (3,)
    assert F.cosine_similarity(mc.tensor([1.0, 2.0]), mc.tensor([2.0, 1.0]), dim=0).item() == pytest.approx(
        0.8
    )


def test_cosine_similarity_divides_a_vector_shorter_than_eps_by_eps():
    y = F.cosine_similarity(mc.tensor([[1e-10, 0.0]]).double(), mc.tensor([[1.0, 0.0]]).double())
    assert y.item() == pytest.approx(0.01)  # 1e-10 / 1e-8, PyTorch's value


def test_pairwise_distance_adds_eps_to_each_difference(rng):
    a, b = rng.standard_normal((4, 5)), rng.standard_normal((4, 5))
    y = F.pairwise_distance(mc.tensor(a), mc.tensor(b), eps=1e-3)
    np.testing.assert_allclose(y.numpy(), np.linalg.norm(a - b + 1e-3, axis=1), rtol=1e-12)
    assert F.pairwise_distance(mc.tensor(a), mc.tensor(b), keepdim=True).shape == (4, 1)
    np.testing.assert_allclose(
        F.pairwise_distance(mc.zeros(3), mc.zeros(2, 3)).numpy(), [math.sqrt(3) * 1e-6] * 2
    )
    assert F.pairwise_distance(mc.tensor(1.0), mc.tensor(2.0)).shape == ()
    taxicab = np.abs(a - b + 1e-6).sum(1)
    np.testing.assert_allclose(
        F.pairwise_distance(mc.tensor(a), mc.tensor(b), p=1).numpy(), taxicab, rtol=1e-12
    )


def test_along_a_dim_of_size_one_huge_values_keep_their_length(rng):
    """A norm over a dim of size 1 is |x| (PyTorch's), so 1e20 in float32, whose square
    overflows, normalizes to +-1 and is 1e20 - 0 + eps from 0, not 0 and inf."""
    x = (rng.choice([-1.0, 1.0], (3, 1)) * 1e20).astype(np.float32)
    np.testing.assert_array_equal(F.normalize(mc.tensor(x), dim=1).numpy(), np.sign(x))
    np.testing.assert_array_equal(F.cosine_similarity(mc.tensor(x), mc.tensor(x)).numpy(), [1.0] * 3)
    d = F.pairwise_distance(mc.tensor(x), mc.zeros(3, 1), eps=0.0)
    np.testing.assert_array_equal(d.numpy(), np.abs(x[:, 0]))


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda x: F.normalize(x, p=3), ValueError, r"^normalize: p must be 1, 2 or float\('inf'\), got 3"),
        (lambda x: F.normalize(x[0], dim=1), IndexError, r"dimension out of range"),
        (lambda x: F.normalize(x, out=x), TypeError, r"out= is not supported"),
        (lambda x: F.normalize(x.long()), TypeError, r"input must be a floating-point tensor"),
        (
            lambda x: F.cosine_similarity(x, x.float()),
            TypeError,
            r"^cosine_similarity: x is float64 but x2 is float32",
        ),
        (lambda x: F.cosine_similarity(x, x[:2]), ValueError, r"do not broadcast"),
        (lambda x: F.cosine_similarity(x, x, dim=2), IndexError, r"dimension out of range"),
        (lambda x: F.cosine_similarity(x, x.long()), TypeError, r"x2 must be a floating-point tensor"),
        (lambda x: F.pairwise_distance(x, x, p=0), ValueError, r"^pairwise_distance: p must be 1, 2"),
        (lambda x: F.pairwise_distance(x, x, p="fro"), TypeError, r"p must be a real number"),
        (lambda x: F.pairwise_distance(x.numpy(), x), TypeError, r"x1 must be a minicnn Tensor"),
        (
            lambda x: F.cosine_similarity(x, x, eps=-1e-9),
            ValueError,
            r"^cosine_similarity: eps must be non-neg",
        ),
        (lambda x: F.cosine_similarity(x, x, eps=math.nan), ValueError, r"eps must be non-negative, got nan"),
        (
            lambda x: F.pairwise_distance(x, x, keepdim=1),
            TypeError,
            r"^pairwise_distance: keepdim must be True",
        ),
        (lambda x: F.pairwise_distance(x, x, keepdim=None), TypeError, r"keepdim must be True or False"),
    ],
)
def test_bad_input_is_refused_in_one_line(call, error, message, rng):
    with pytest.raises(error, match=message):
        call(mc.tensor(rng.standard_normal((3, 4))))
