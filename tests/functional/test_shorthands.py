"""square, reciprocal, clamp_min, clamp_max and clip (mc.* and Tensor methods): PyTorch's values,
gradients and result dtypes (tests/fixtures/gen_gaps.py, torch 2.14), finite differences in
float64, agreement with their in-place twins, out=, and one-line errors."""

import numpy as np
import pytest
from fixtures.gen_gaps import DTYPES, ELEMENTWISE, call_args, dtype_key, ints, sample

import minicnn as mc
import minicnn.functional as F

OPS = ("square", "reciprocal", "clamp_min", "clamp_max", "clip")


def _args(arg):
    return () if arg is None else arg if isinstance(arg, tuple) else (arg,)


def test_the_golden_file_holds_every_case(golden):
    g = golden("gaps")
    assert {k.split("/")[0] for k in g if "/" in k} >= set(ELEMENTWISE), (
        "gaps.npz is stale: rerun gen_gaps.py"
    )
    assert all(any(k.startswith(dtype_key(*case) + "/") for k in g) for case in DTYPES)


@pytest.mark.parametrize("method", [False, True], ids=["function", "method"])
@pytest.mark.parametrize("name", list(ELEMENTWISE))
def test_values_and_gradients_match_pytorch(golden, name, method):
    g, arrays = golden("gaps"), sample(name)
    for key, a in arrays.items():
        np.testing.assert_array_equal(g[f"{name}/{key}"], a, err_msg="gaps.npz is stale: rerun gen_gaps.py")
    leaves = {k: mc.tensor(v, requires_grad=True) for k, v in arrays.items() if k != "gy"}
    op = ELEMENTWISE[name][0]
    kwargs = call_args(name, leaves)
    y = getattr(leaves["x"], op)(**kwargs) if method else getattr(mc, op)(leaves["x"], **kwargs)
    y.backward(mc.tensor(arrays["gy"]))
    assert y.dtype == np.float64
    np.testing.assert_array_equal(y.numpy(), g[f"{name}/y"])  # inf and NaN where PyTorch has them
    for key, leaf in leaves.items():
        np.testing.assert_allclose(leaf.grad.numpy(), g[f"{name}/g{key}"], rtol=1e-15, atol=0, err_msg=key)


@pytest.mark.parametrize("op, dtype, arg", DTYPES, ids=[dtype_key(*c)[6:] for c in DTYPES])
def test_result_dtypes_and_values_match_pytorch(golden, op, dtype, arg):
    g, key = golden("gaps"), dtype_key(op, dtype, arg)
    x = mc.tensor(ints(dtype))
    if f"{key}/refused" in g:
        with pytest.raises(TypeError, match=rf"^{op}: .*\(as PyTorch\)$"):
            getattr(mc, op)(x, *_args(arg))
        return
    want = g[f"{key}/y"]
    for y in (getattr(mc, op)(x, *_args(arg)), getattr(x, op)(*_args(arg))):
        assert y.dtype == want.dtype
        np.testing.assert_array_equal(y.numpy(), want)


@pytest.mark.parametrize("op, dtype, arg", DTYPES, ids=[dtype_key(*c)[6:] for c in DTYPES])
def test_the_in_place_twin_writes_what_the_op_gives_where_the_dtype_takes_it(op, dtype, arg):
    """x.op_() is refused where op(x) is, and also where op(x)'s dtype is not x's; elsewhere it
    writes op(x)'s values into x."""
    x = mc.tensor(ints(dtype))
    try:
        y = getattr(mc, op)(x, *_args(arg))
    except TypeError:
        with pytest.raises(TypeError):
            getattr(x.clone(), op + "_")(*_args(arg))
        return
    z = x.clone()
    if y.dtype != x.dtype:
        with pytest.raises(TypeError, match=rf"^{op}_\(\): "):
            getattr(z, op + "_")(*_args(arg))
        np.testing.assert_array_equal(z.numpy(), x.numpy())  # untouched
        return
    assert getattr(z, op + "_")(*_args(arg)) is z
    np.testing.assert_array_equal(z.numpy(), y.numpy())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("op", OPS)
def test_the_in_place_twin_agrees_on_floats(op, dtype, rng):
    x = mc.tensor(rng.standard_normal((4, 5)).astype(dtype))
    args = {"clamp_min": (0.1,), "clamp_max": (-0.2,), "clip": (-0.3, 0.4)}.get(op, ())
    y = getattr(x, op)(*args)
    z = x.clone()
    getattr(z, op + "_")(*args)
    assert y.dtype == z.dtype == dtype
    np.testing.assert_array_equal(z.numpy(), y.numpy())


def test_the_ops_record_pytorch_s_nodes_and_keep_float32(rng):
    x = mc.tensor(rng.standard_normal(5).astype(np.float32), requires_grad=True)
    assert type(mc.square(x).grad_fn).__name__ == "Pow"  # torch.square's grad_fn is PowBackward0
    assert type(x.reciprocal().grad_fn).__name__ == "Reciprocal"
    assert all(
        type(f(x).grad_fn).__name__ == "Clamp" for f in (lambda t: t.clamp_min(0), lambda t: mc.clip(t, 0, 1))
    )
    ys = [mc.square(x), mc.reciprocal(x), mc.clamp_min(x, 0.1), mc.clamp_max(x, 0.1), mc.clip(x, 0, 1)]
    assert all(y.dtype == np.float32 for y in ys)
    sum(y.sum() for y in ys).backward()
    assert x.grad.dtype == np.float32


@pytest.mark.parametrize(
    "fn, shapes",
    [
        (mc.square, [(3, 4)]),
        (lambda x: (x.abs() + 0.3).reciprocal(), [(3, 4)]),
        (lambda x: mc.reciprocal(x * 2 - 5), [(2, 5)]),
        (lambda x: x.clamp_min(0.2), [(3, 4)]),
        (lambda x, lo: mc.clamp_min(x, lo), [(3, 4), (4,)]),
        (lambda x, hi: x.clamp_max(hi), [(3, 4), (3, 1)]),
        (lambda x: mc.clip(x, -0.4, 0.3), [(3, 4)]),
        (lambda x, lo, hi: x.clip(lo, hi + 1.0), [(2, 3), (3,), (2, 1)]),
    ],
)
def test_gradients_match_finite_differences(rng, fn, shapes):
    inputs = [mc.tensor(rng.standard_normal(s), requires_grad=True) for s in shapes]
    # NOTE: away from the clamps' kinks: no value within 0.05 of a number bound
    for t in inputs:
        t.data[np.abs(t.data - np.round(t.data, 1)) < 0.02] += 0.05
    assert mc.gradcheck(fn, inputs)


def test_reciprocal_is_the_gradient_pytorch_writes_at_its_edges():
    """gx = gy * -(y * y): -inf at 0, NaN where gy = 0 meets y = inf, as PyTorch's."""
    x = mc.tensor([0.0, -0.0, 2.0], requires_grad=True)
    x.reciprocal().backward(mc.tensor([1.0, 0.0, 4.0]))
    np.testing.assert_array_equal(x.grad.numpy(), [-np.inf, np.nan, -1.0])


@pytest.mark.parametrize("op", OPS)
def test_out_writes_the_result_into_out(op, rng):
    x = mc.tensor(rng.standard_normal(4))
    args = {"clamp_min": (0.0,), "clamp_max": (0.0,), "clip": (-0.5, 0.5)}.get(op, ())
    out = mc.empty(4, dtype=mc.float64)
    assert getattr(mc, op)(x, *args, out=out) is out
    np.testing.assert_array_equal(out.numpy(), getattr(mc, op)(x, *args).numpy())
    assert getattr(F, op) is getattr(mc, op)


@pytest.mark.parametrize(
    "op, dtype, refused",
    [("square", mc.float64, False), ("reciprocal", mc.float64, False), ("clamp_min", mc.float64, True)],
)
def test_out_takes_pytorch_s_dtypes(op, dtype, refused):
    """square and reciprocal cast into a float out of another width, as PyTorch's; the clamps
    take only the result's own dtype, as torch.clamp_min(x, out=) does."""
    x = mc.tensor([1.0, 2.0])
    args = (1.5,) if op == "clamp_min" else ()
    out = mc.empty(2, dtype=mc.float64)
    if refused:
        with pytest.raises(RuntimeError, match=rf"^{op}\(\): "):
            getattr(mc, op)(x, *args, out=out)
    else:
        getattr(mc, op)(x, *args, out=out)
        assert out.dtype == dtype
    with pytest.raises(RuntimeError, match=rf"^{op}\(\): "):
        getattr(mc, op)(x, *args, out=mc.empty(2, dtype=mc.int64))


@pytest.mark.parametrize(
    "call, error, says",
    [
        (lambda: mc.square([1.0, 2.0]), TypeError, r"^square: input must be a minicnn Tensor, got list"),
        (lambda: mc.reciprocal(np.ones(2)), TypeError, r"^reciprocal: input must be a minicnn Tensor"),
        (
            lambda: mc.clamp_min(mc.ones(2), None),
            TypeError,
            r"^clamp_min: min must be a number or a Tensor, got None$",
        ),
        (
            lambda: mc.ones(2).clamp_max(None),
            TypeError,
            r"^clamp_max: max must be a number or a Tensor, got None$",
        ),
        (
            lambda: mc.ones(2).clamp_min("a"),
            TypeError,
            r"^clamp_min: min must be a number or a Tensor, got str$",
        ),
        (lambda: mc.clip(mc.ones(2)), ValueError, r"^clip: at least one of min and max must be given$"),
        (
            lambda: mc.ones(2).clip(np.zeros(2)),
            TypeError,
            r"^clip: min must be a number or a Tensor, got ndarray$",
        ),
        (
            lambda: mc.clamp_max(mc.ones(2, dtype=mc.uint8), 300),
            ValueError,
            r"^clamp_max: max 300 cannot be written into a uint8 tensor",
        ),
        (
            lambda: mc.clamp_min(mc.ones(3), mc.ones(2)),
            ValueError,
            r"^clamp_min: shapes \(3,\) and \(2,\) do not broadcast",
        ),
        (
            lambda: mc.clip(mc.ones(3), mc.ones(3), 2.0),
            TypeError,
            r"^clip: min is a Tensor of shape \(3,\) and the other bound a number",
        ),
        (
            lambda: mc.clip(mc.tensor([True]), mc.tensor([False]), mc.tensor([True])),
            TypeError,
            r"^clip: expected a number tensor among x, min and max, got three bools",
        ),
    ],
)
def test_bad_arguments_get_one_line_naming_the_op(call, error, says):
    with pytest.raises(error, match=says) as e:
        call()
    assert "\n" not in str(e.value)
