"""Graphs that fork and join: an Inception-like block (branches joined by mc.cat on
the channel dim) and a residual add. One input feeds several ops, so its gradient is
the sum of what each branch sends back; these tests check that sum by hand."""

import numpy as np
import pytest

import minicnn as mc
import minicnn.functional as F
from minicnn import nn


def x64(rng, shape, grad=True):
    x = rng.standard_normal(shape)
    x = np.where(np.abs(x) < 0.05, 0.3, x)  # away from the leaky ReLU's kink
    return mc.tensor(x, requires_grad=grad)


def inception_like(x):
    """Four branches on the same x, joined on dim 1 (as GoogLeNet joins its 1x1/3x3/5x5/pool)."""
    return mc.cat([x * 2.0, F.tanh(x), F.leaky_relu(x, 0.1), x * x], dim=1)


def test_inception_like_block_gradient_by_hand(rng):
    x = x64(rng, (2, 3, 2, 2))
    y = inception_like(x)
    assert y.shape == (2, 12, 2, 2)
    r = rng.standard_normal(y.shape)
    (y * mc.tensor(r)).sum().backward()
    r1, r2, r3, r4 = np.split(r, 4, axis=1)
    a = x.numpy()
    expected = 2 * r1 + (1 - np.tanh(a) ** 2) * r2 + np.where(a > 0, 1, 0.1) * r3 + 2 * a * r4
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-12)
    assert mc.gradcheck(inception_like, [x64(rng, (2, 3, 2, 2))])


def test_shared_intermediate_used_by_two_branches(rng):
    x = x64(rng, (2, 4))
    h = F.tanh(x)
    y = mc.cat([h, h * h], dim=1)
    r = rng.standard_normal(y.shape)
    (y * mc.tensor(r)).sum().backward()
    hv = np.tanh(x.numpy())
    np.testing.assert_allclose(x.grad.numpy(), (1 - hv**2) * (r[:, :4] + 2 * hv * r[:, 4:]), rtol=1e-12)


def test_residual_add_gradient_by_hand(rng):
    x, w = x64(rng, (3, 4)), x64(rng, (4,))

    def block(x, w):
        return F.tanh(x) * w + x  # y = f(x) + x

    y = block(x, w)
    r = rng.standard_normal(y.shape)
    (y * mc.tensor(r)).sum().backward()
    a, wv = x.numpy(), w.numpy()
    np.testing.assert_allclose(x.grad.numpy(), r * (wv * (1 - np.tanh(a) ** 2) + 1), rtol=1e-12)
    np.testing.assert_allclose(w.grad.numpy(), (r * np.tanh(a)).sum(0), rtol=1e-12)
    assert mc.gradcheck(block, [x64(rng, (3, 4)), x64(rng, (4,))])


@pytest.mark.parametrize("training", [True, False])
def test_normalized_branches_and_residual_gradcheck(training, rng):
    """Branches with LRN, batch norm, PReLU and dropout, then a residual add on top."""
    c = 3
    bn = nn.BatchNorm2d(c).double()
    bn.train(training)
    prelu = nn.PReLU(c).double()

    def block(x):
        mc.manual_seed(0)  # dropout draws the same mask each time
        branches = [
            F.local_response_norm(x, 3, alpha=0.5),
            bn(x),
            prelu(x),
            F.dropout(x, 0.3, training=training),
        ]
        y = mc.cat(branches, dim=1)
        return y + mc.cat([x] * 4, dim=1)  # residual: f(x) + x, widths matched

    x = x64(rng, (2, c, 2, 3))
    assert mc.gradcheck(block, [x])
    assert mc.gradcheck(lambda x: prelu(x) + x, [x64(rng, (2, c, 2, 3))])
