"""max_unpool1d and dropout1d: PyTorch's numbers (tests/fixtures/gen_gaps.py, torch 2.14), finite
differences in float64, the 2-D ops they are views of, and one-line errors."""

import numpy as np
import pytest
from fixtures.gen_gaps import UNPOOL

import minicnn as mc
import minicnn.functional as F


def _unpool_case(g, name):
    return {k: g[f"unpool/{name}/{k}"] for k in ("x", "indices", "gy", "y", "gx")}


@pytest.mark.parametrize("tier", ["reference", "numpy", pytest.param("numba", marks=pytest.mark.numba)])
@pytest.mark.parametrize("name", list(UNPOOL))
def test_max_unpool1d_matches_pytorch(golden, name, tier):
    a = _unpool_case(golden("gaps"), name)
    _, kwargs, output_size = UNPOOL[name]
    x = mc.tensor(a["x"], requires_grad=True)
    with mc.use_kernels(tier):
        y = F.max_unpool1d(x, mc.tensor(a["indices"]), output_size=output_size, **kwargs)
        y.backward(mc.tensor(a["gy"]))
    assert y.shape == a["y"].shape and y.dtype == np.float64
    np.testing.assert_array_equal(y.numpy(), a["y"])
    np.testing.assert_array_equal(x.grad.numpy(), a["gx"])


@pytest.mark.parametrize("unbatched", [False, True])
def test_max_unpool1d_is_max_unpool2d_of_signals_one_row_high(rng, unbatched):
    signal = mc.tensor(rng.permutation(2 * 3 * 11).reshape(2, 3, 11).astype(np.float64))
    y, indices = F.max_pool1d(signal[0] if unbatched else signal, 3, 2, 1, return_indices=True)
    x = mc.tensor(rng.standard_normal(y.shape), requires_grad=True)
    one = F.max_unpool1d(x, indices, 3, 2, 1, output_size=(11,))
    two = F.max_unpool2d(x.unsqueeze(-2), indices.unsqueeze(-2), (1, 3), (1, 2), (0, 1), (1, 11)).squeeze(-2)
    np.testing.assert_array_equal(one.numpy(), two.numpy())
    assert one.shape == ((3, 11) if unbatched else (2, 3, 11))


def test_max_unpool1d_undoes_max_pool1d_on_its_maxima(rng):
    x = mc.tensor(rng.permutation(24).reshape(2, 3, 4).astype(np.float32))
    y, indices = F.max_pool1d(x, 2, return_indices=True)
    back = F.max_unpool1d(y, indices, 2)
    kept = back.numpy() != 0
    np.testing.assert_array_equal(back.numpy()[kept], x.numpy()[kept])
    assert back.dtype == np.float32 and kept.sum() == y.numpy().size - (y.numpy() == 0).sum()


@pytest.mark.parametrize(
    "kwargs", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1, output_size=(10,))]
)
def test_max_unpool1d_gradient_matches_finite_differences(rng, kwargs):
    # NOTE: distinct indices: where two values meet in one cell, the last written stays, and
    # the gradient (PyTorch's too) still reads that cell for both
    indices = mc.tensor(np.arange(5) * 2 + rng.integers(0, 2, (2, 1, 5)))
    x = mc.tensor(rng.standard_normal(indices.shape), requires_grad=True)
    assert mc.gradcheck(lambda t: F.max_unpool1d(t, indices, **kwargs), [x])


def _pooled(shape=(1, 2, 8), k=2):
    y, indices = F.max_pool1d(
        mc.tensor(np.arange(np.prod(shape), dtype=np.float64).reshape(shape)), k, return_indices=True
    )
    return y, indices


@pytest.mark.parametrize(
    "call, error, says",
    [
        (
            lambda y, i: F.max_unpool1d(y[0, 0], i[0, 0], 2),
            ValueError,
            r"expected x of shape \(N, C, L\) or \(C, L\), got shape \(4,\)",
        ),
        (
            lambda y, i: F.max_unpool1d(y[None], i[None], 2),
            ValueError,
            r"expected x of shape \(N, C, L\) or \(C, L\), got shape \(1, 1, 2, 4\)",
        ),
        (
            lambda y, i: F.max_unpool1d(y, i, (2, 2)),
            TypeError,
            r"kernel_size must be an int or a tuple of one int, got \(2, 2\)",
        ),
        (
            lambda y, i: F.max_unpool1d(y, i, 2, 0),
            ValueError,
            r"kernel_size and stride must be positive and padding non-negative",
        ),
        (
            lambda y, i: F.max_unpool1d(y, i, 2, output_size=8),
            ValueError,
            r"output_size must be \(L,\) or \(N, C, L\), got 8$",
        ),
        (
            lambda y, i: F.max_unpool1d(y, i, 2, output_size=(1, 8)),
            ValueError,
            r"output_size must be \(L,\) or \(N, C, L\), got \(1, 8\)$",
        ),
        (
            lambda y, i: F.max_unpool1d(y, i, 2, output_size=(10,)),
            ValueError,
            r"output_size \(10,\) disagrees with the pooled length 4: \(4 - 1\)\*2 - 2\*0 \+ 2 = 8, so "
            r"length must be between 6 and 10 \(exclusive\), got 10$",
        ),
        (
            lambda y, i: F.max_unpool1d(y, i.int(), 2),
            TypeError,
            r"indices must be an int64 tensor \(as max_pool1d gives\), got int32$",
        ),
        (
            lambda y, i: F.max_unpool1d(y, i[:, :1], 2),
            ValueError,
            r"indices must have x's shape \(1, 2, 4\), got \(1, 1, 4\)$",
        ),
        (
            lambda y, i: F.max_unpool1d(y, i + 1, 2),
            IndexError,
            r"index 8 is outside the output of length 8 \(0 to 7\)$",
        ),
        (
            lambda y, i: F.max_unpool1d(y, i - 2, 2),
            IndexError,
            r"index -1 is outside the output of length 8 \(0 to 7\)$",
        ),
        (
            lambda y, i: F.max_unpool1d(y.long(), i, 2),
            TypeError,
            r"x must be a floating-point tensor, got dtype int64$",
        ),
        (
            lambda y, i: F.max_unpool1d(y[:, :0], i[:, :0], 2),
            ValueError,
            r"x of shape \(1, 0, 4\) is empty in dim 1",
        ),
        (
            lambda y, i: F.max_unpool1d(y.numpy(), i, 2),
            TypeError,
            r"x must be a minicnn Tensor, got numpy.ndarray",
        ),
    ],
)
def test_max_unpool1d_refuses_in_one_line(call, error, says):
    y, indices = _pooled()
    with pytest.raises(error, match=r"^max_unpool1d: " + says) as e:
        call(y, indices)
    assert "\n" not in str(e.value)


def test_max_unpool1d_of_an_empty_batch_is_an_empty_batch():
    y, indices = _pooled((0, 2, 8))
    out = F.max_unpool1d(y, indices, 2)
    assert out.shape == (0, 2, 8)


# --- dropout1d -------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(4, 6, 50), (6, 50)])
def test_dropout1d_drops_whole_channels_and_scales_the_rest(shape):
    mc.manual_seed(5)
    x = mc.tensor(np.random.default_rng(5).standard_normal(shape) + 3.0, requires_grad=True)
    y = F.dropout1d(x, 0.25)
    kept = y.numpy() != 0
    assert (kept.all(-1) | ~kept.any(-1)).all()  # each row whole, or gone
    np.testing.assert_allclose(y.numpy()[kept], x.numpy()[kept] / 0.75, rtol=1e-12)
    assert 0 < kept.all(-1).sum() < kept.all(-1).size
    y.backward(mc.ones(*shape))
    np.testing.assert_allclose(x.grad.numpy(), kept / 0.75)


def test_dropout1d_is_dropout2d_of_a_column_with_the_same_draws():
    x = mc.tensor(np.random.default_rng(6).standard_normal((3, 8, 5)))
    mc.manual_seed(11)
    one = F.dropout1d(x, 0.5)
    mc.manual_seed(11)
    two = F.dropout2d(x.unsqueeze(-1), 0.5).squeeze(-1)
    np.testing.assert_array_equal(one.numpy(), two.numpy())
    mc.manual_seed(11)
    np.testing.assert_array_equal(
        F.dropout1d(x[0], 0.5).numpy(), one.numpy()[0]
    )  # one signal: the first's draws


def test_dropout1d_is_the_identity_out_of_training_or_at_p_0_and_zeros_at_p_1():
    x = mc.tensor(np.random.default_rng(7).standard_normal((2, 3, 4)), requires_grad=True)
    assert F.dropout1d(x, 0.5, training=False) is x and F.dropout1d(x, 0.0) is x
    np.testing.assert_array_equal(F.dropout1d(x, 1.0).numpy(), np.zeros((2, 3, 4)))


def test_dropout1d_gradient_matches_finite_differences():
    x = mc.tensor(np.random.default_rng(8).standard_normal((2, 4, 3)), requires_grad=True)

    def fn(t):
        mc.manual_seed(3)  # the same mask at each evaluation
        return F.dropout1d(t, 0.4)

    assert mc.gradcheck(fn, [x])


@pytest.mark.parametrize(
    "call, error, says",
    [
        (
            lambda: F.dropout1d(mc.ones(5)),
            ValueError,
            r"expected \(N, C, L\) or unbatched \(C, L\) input, got shape \(5,\)$",
        ),
        (lambda: F.dropout1d(mc.ones(1, 2, 3, 4)), ValueError, r"expected .* got shape \(1, 2, 3, 4\)$"),
        (
            lambda: F.dropout1d(mc.ones(2, 3), 1.5),
            ValueError,
            r"dropout probability has to be between 0 and 1, but got 1.5$",
        ),
        (
            lambda: F.dropout1d(mc.ones(2, 3, dtype=mc.int64)),
            TypeError,
            r"x must be a floating-point tensor, got dtype int64$",
        ),
    ],
)
def test_dropout1d_refuses_in_one_line(call, error, says):
    with pytest.raises(error, match=r"^dropout1d: " + says):
        call()
