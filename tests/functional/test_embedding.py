"""F.embedding: PyTorch's lookups, weight gradients and max_norm's rescaled rows
(tests/fixtures/gen_embedding.py, torch 2.14); finite differences in float64 with repeated ids,
padding_idx and scale_grad_by_freq; the xp code (a take and a scatter-add) equal to the plain
loops of kernels/reference_embedding.py; max_norm's write counted as a change in place; and
bad input refused in one line, before any arithmetic."""

import numpy as np
import pytest
from fixtures.gen_embedding import CASES, name, sample

import minicnn as mc
import minicnn.functional as F
from minicnn.kernels import reference_embedding as reference

TOLERANCE = {"float64": dict(rtol=1e-12, atol=1e-14), "float32": dict(rtol=1e-6, atol=1e-7)}


@pytest.mark.parametrize("case", CASES, ids=name)
def test_matches_pytorch(case, golden):
    g, key, kwargs = golden("embedding"), name(case), case[4]
    weight, ids, gy = sample(case)
    np.testing.assert_array_equal(g[f"{key}.weight"], weight, err_msg="embedding.npz is older than its cases")
    np.testing.assert_array_equal(g[f"{key}.ids"], ids)
    w = mc.tensor(weight, requires_grad=True)
    y = F.embedding(mc.tensor(ids), w, **kwargs)
    y.backward(mc.tensor(gy))
    assert y.dtype == w.grad.dtype == weight.dtype and y.shape == g[f"{key}.y"].shape
    tol = TOLERANCE[weight.dtype.name]
    np.testing.assert_allclose(w.numpy(), g[f"{key}.after"], **tol, err_msg="weight after max_norm")
    np.testing.assert_array_equal(y.numpy(), w.numpy()[ids])  # a copy of the rows, exactly
    np.testing.assert_allclose(y.numpy(), g[f"{key}.y"], **tol, err_msg="y")
    np.testing.assert_allclose(w.grad.numpy(), g[f"{key}.gW"], **tol, err_msg="gW")


def _straight_through(ids, padding_idx, scale_grad_by_freq):
    """fn(W) whose value is the lookup of W's rows with the padding row zeroed and each row
    divided by its id's count (as each option asks), and whose backward is F.embedding's.

    Neither option's gradient is the derivative of the lookup: the padding row is read but gets
    no gradient, and scale_grad_by_freq divides by the count. Each is the derivative of that
    other lookup, which the finite differences see, so the value is that lookup's and the
    gradient runs through F.embedding alone (value + (other - value).detach())."""
    rows = 7
    keep = np.ones((rows, 1))
    if padding_idx is not None:
        keep[padding_idx] = 0.0
    counts = np.maximum(np.bincount(ids.reshape(-1), minlength=rows), 1)[:, None]
    factor = mc.tensor(keep / counts if scale_grad_by_freq else keep)
    ids_t = mc.tensor(ids)

    def fn(weight):
        value = F.embedding(ids_t, weight, padding_idx, scale_grad_by_freq=scale_grad_by_freq)
        wanted = F.embedding(ids_t, weight * factor)
        return value + (wanted - value).detach()

    return fn


@pytest.mark.parametrize("scale_grad_by_freq", [False, True], ids=["summed", "by_freq"])
@pytest.mark.parametrize("padding_idx", [None, 2, -1], ids=["no_padding", "padding_2", "padding_last"])
def test_weight_gradient_matches_finite_differences(padding_idx, scale_grad_by_freq, rng):
    ids = rng.integers(0, 7, (4, 5))
    ids[0, :3] = 6  # repeated ids, the last row's among them
    ids[1, :2] = 2
    weight = mc.tensor(rng.standard_normal((7, 3)), requires_grad=True)
    assert mc.gradcheck(_straight_through(ids, padding_idx, scale_grad_by_freq), [weight])


def test_repeated_ids_add_their_rows_and_padding_gets_none(rng):
    ids = np.array([[1, 4, 1], [1, 0, 4]])
    gy = rng.standard_normal((2, 3, 5))
    for padding_idx, scale in ((None, False), (4, False), (None, True)):
        weight = mc.tensor(rng.standard_normal((6, 5)), requires_grad=True)
        F.embedding(mc.tensor(ids), weight, padding_idx, scale_grad_by_freq=scale).backward(mc.tensor(gy))
        g = weight.grad.numpy()
        np.testing.assert_allclose(g[1], (gy[0, 0] + gy[0, 2] + gy[1, 0]) / (3 if scale else 1), rtol=1e-12)
        np.testing.assert_allclose(
            g[4], 0 if padding_idx == 4 else (gy[0, 1] + gy[1, 2]) / (2 if scale else 1)
        )
        np.testing.assert_array_equal(g[[2, 3, 5]], 0)  # rows no id names


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    "kwargs",
    [{}, {"padding_idx": 3}, {"scale_grad_by_freq": True}, {"padding_idx": 0, "scale_grad_by_freq": True}],
    ids=["plain", "padding", "by_freq", "both"],
)
def test_xp_code_equals_the_reference_loops(kwargs, dtype, rng):
    weight = rng.standard_normal((6, 4)).astype(dtype)
    ids = rng.integers(0, 6, (3, 2, 5))
    gy = rng.standard_normal((3, 2, 5, 4)).astype(dtype)
    w = mc.tensor(weight, requires_grad=True)
    y = F.embedding(mc.tensor(ids), w, **kwargs)
    y.backward(mc.tensor(gy))
    np.testing.assert_array_equal(y.numpy(), reference.embedding_forward(weight, ids))
    want = reference.embedding_weight_grad(
        gy, ids, 6, kwargs.get("padding_idx"), kwargs.get("scale_grad_by_freq", False)
    )
    assert want.dtype == w.grad.dtype == dtype
    np.testing.assert_allclose(w.grad.numpy(), want, **TOLERANCE[np.dtype(dtype).name])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, float("inf"), 0.5])
def test_max_norm_renorm_equals_the_reference_loop(norm_type, dtype, rng):
    weight = (rng.standard_normal((9, 4)) * rng.uniform(0.1, 3.0, (9, 1))).astype(dtype)
    ids = rng.integers(0, 6, (4, 3))  # rows 6 to 8 are never named: left as they are
    w = mc.tensor(weight.copy())
    y = F.embedding(mc.tensor(ids), w, max_norm=1.0, norm_type=norm_type)
    want = reference.embedding_renorm_(weight.copy(), ids, 1.0, norm_type)
    np.testing.assert_allclose(w.numpy(), want, **TOLERANCE[np.dtype(dtype).name])
    np.testing.assert_array_equal(w.numpy()[6:], weight[6:])
    np.testing.assert_array_equal(y.numpy(), w.numpy()[ids])  # the lookup reads the rescaled rows
    norms = np.linalg.norm(w.numpy()[np.unique(ids)].astype(np.float64), ord=norm_type, axis=1)
    assert (norms <= 1.0 + 1e-5).all()


@pytest.mark.filterwarnings("error")
def test_max_norm_scales_an_infinite_row_to_nan_without_a_warning():
    w = mc.tensor([[np.inf, 0.0, 0.0], [3.0, 4.0, 0.0]])  # PyTorch's: inf * (1 / (inf + 1e-7)) = inf * 0
    y = F.embedding(mc.tensor([0, 1]), w, max_norm=1.0)
    np.testing.assert_array_equal(y.numpy(), np.array([[np.nan, 0, 0], [0.6, 0.8, 0]], np.float32))


def test_max_norm_is_a_change_in_place_and_no_part_of_the_graph(rng):
    w = mc.tensor(rng.standard_normal((5, 3)) * 3, requires_grad=True)
    ids = mc.tensor([0, 1, 1])
    y = F.embedding(ids, w, max_norm=1.0)  # a leaf that requires grad: written as under no_grad
    y.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy()[:, 0], [1.0, 2.0, 0.0, 0.0, 0.0])
    kept = (w * w).sum()  # Mul keeps w for its backward
    F.embedding(ids, w, max_norm=0.5)
    with pytest.raises(RuntimeError, match="changed in place after the forward pass"):
        kept.backward()


def test_a_frozen_weight_gives_a_tensor_that_needs_no_grad_and_ids_of_int32_read_the_same(rng):
    weight = mc.tensor(rng.standard_normal((4, 2)))
    ids = np.array([[3, 0], [0, 2]])
    y = F.embedding(mc.tensor(ids.astype(np.int32)), weight)
    assert not y.requires_grad and y.grad_fn is None
    np.testing.assert_array_equal(y.numpy(), F.embedding(mc.tensor(ids), weight).numpy())


_W = mc.zeros(5, 3)


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: F.embedding(mc.tensor([1.0]), _W), TypeError, r"^embedding: input must hold int64 \(or "),
        (lambda: F.embedding([1, 2], _W), TypeError, r"^embedding: input must be a minicnn Tensor, got list"),
        (
            lambda: F.embedding(mc.tensor([0, 5, 2]), _W),
            IndexError,
            r"^embedding: id 5 is out of range: ids must be in \[0, 5\) for a weight of 5 rows$",
        ),
        (lambda: F.embedding(mc.tensor([[0], [-1]]), _W), IndexError, r"^embedding: id -1 is out of range"),
        (
            lambda: F.embedding(mc.tensor([0]), mc.zeros(5)),
            ValueError,
            r"^embedding: weight must be 2-D \(num_embeddings, embedding_dim\), got shape \(5,\)$",
        ),
        (
            lambda: F.embedding(mc.tensor([0]), _W, padding_idx=5),
            ValueError,
            r"^embedding: padding_idx must be within num_embeddings, in \[-5, 5\) for 5 rows, got 5$",
        ),
        (lambda: F.embedding(mc.tensor([0]), _W, padding_idx=-6), ValueError, r"got -6$"),
        (
            lambda: F.embedding(mc.tensor([0]), _W, padding_idx=1.0),
            TypeError,
            r"^embedding: padding_idx must be an int",
        ),
        (
            lambda: F.embedding(mc.tensor([0]), _W, padding_idx=True),
            TypeError,
            r"must be an int or None, got bool",
        ),
        (
            lambda: F.embedding(mc.tensor([0]), _W, sparse=True),
            ValueError,
            r"^embedding: sparse=True is not supported",
        ),
        (
            lambda: F.embedding(mc.tensor([0]), _W, max_norm="1"),
            TypeError,
            r"^embedding: max_norm must be a real",
        ),
        (
            lambda: F.embedding(mc.tensor([0]), mc.zeros(5, 3, dtype=mc.int64), max_norm=1.0),
            TypeError,
            r"^embedding: max_norm needs a floating-point weight, got int64$",
        ),
    ],
)
def test_bad_input_is_refused_in_one_line(call, error, message):
    with pytest.raises(error, match=message) as err:
        call()
    assert "\n" not in str(err.value)


def test_bad_ids_leave_the_weight_unchanged_under_max_norm():
    w = mc.tensor(np.full((3, 2), 10.0))
    with pytest.raises(IndexError, match="id 3 is out of range"):
        F.embedding(mc.tensor([0, 3]), w, max_norm=1.0)
    assert (w.numpy() == 10.0).all()


@pytest.mark.gpu
def test_embedding_on_cuda_equals_numpy(rng):
    weight = (rng.standard_normal((8, 5)) * 2).astype(np.float32)
    ids, gy = rng.integers(0, 8, (4, 6)), rng.standard_normal((4, 6, 5)).astype(np.float32)
    out = {}
    for device in ("cpu", "cuda"):
        w = mc.tensor(weight, requires_grad=True, device=device)
        kwargs = dict(padding_idx=1, max_norm=2.0, scale_grad_by_freq=True)
        y = F.embedding(mc.tensor(ids, device=device), w, **kwargs)
        y.backward(mc.tensor(gy, device=device))
        out[device] = y.numpy(), w.grad.numpy(), w.numpy()
    for got, want in zip(out["cuda"], out["cpu"]):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
