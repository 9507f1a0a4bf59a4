"""CosineSimilarity, PairwiseDistance (nn/distance.py), LogSigmoid and Softmin
(nn/log_sigmoid.py): PyTorch's attributes and printing, the functional's numbers, the
refusals at construction (their numbers against PyTorch's: tests/fixtures/gen_layers.py)."""

import numpy as np
import pytest

import minicnn as mc
import minicnn.functional as F
from minicnn import nn


def test_they_print_and_keep_their_arguments_as_pytorchs():
    assert repr(nn.CosineSimilarity(dim=0, eps=1e-6)) == "CosineSimilarity()"
    assert repr(nn.PairwiseDistance(p=1, keepdim=True)) == "PairwiseDistance()"
    assert repr(nn.Softmin(1)) == "Softmin(dim=1)" and repr(nn.Softmin()) == "Softmin(dim=None)"
    assert repr(nn.LogSigmoid()) == "LogSigmoid()"
    d = nn.PairwiseDistance(p=1, eps=1e-3, keepdim=True)
    assert (d.norm, d.eps, d.keepdim) == (1, 1e-3, True)
    c = nn.CosineSimilarity(dim=0, eps=1e-6)
    assert (c.dim, c.eps) == (0, 1e-6)


def test_each_computes_its_functional(rng):
    a, b = mc.tensor(rng.standard_normal((3, 4))), mc.tensor(rng.standard_normal((3, 4)))
    np.testing.assert_array_equal(nn.CosineSimilarity(0)(a, b).numpy(), F.cosine_similarity(a, b, 0).numpy())
    np.testing.assert_array_equal(
        nn.PairwiseDistance(1, keepdim=True)(a, b).numpy(), F.pairwise_distance(a, b, 1, keepdim=True).numpy()
    )
    np.testing.assert_array_equal(nn.LogSigmoid()(a).numpy(), F.logsigmoid(a).numpy())
    np.testing.assert_array_equal(nn.Softmin(-1)(a).numpy(), F.softmin(a, -1).numpy())


def test_bad_arguments_and_input_are_refused_naming_the_layer():
    with pytest.raises(ValueError, match=r"^PairwiseDistance: p must be 1, 2 or float\('inf'\), got 3"):
        nn.PairwiseDistance(p=3)
    with pytest.raises(TypeError, match=r"^CosineSimilarity: eps must be a real number"):
        nn.CosineSimilarity(eps=None)
    model = nn.Sequential(nn.LogSigmoid(), nn.Softmin(2))
    with pytest.raises(TypeError, match=r"^LogSigmoid at '0': input must be a floating-point tensor"):
        model(mc.tensor([[1, 2]]))
    with pytest.raises(IndexError, match=r"^Softmin at '1': dimension out of range"):
        model(mc.zeros(2, 3))
    with pytest.raises(TypeError, match=r"^CosineSimilarity: x is float32 but x2 is float64"):
        nn.CosineSimilarity()(mc.zeros(2, 3), mc.zeros(2, 3).double())
