"""mm and bmm beyond the registry (tests/fixtures/gen_basic.py holds their gradient checks and
PyTorch's numbers): matmul's backward shared, the ranks and dtypes PyTorch refuses, empty sizes."""

import numpy as np
import pytest

import minicnn as mc
import minicnn.functional as F
from minicnn.functional.basic import MatMul
from minicnn.functional.matrix import Bmm, Mm


def test_mm_and_bmm_share_matmuls_forward_and_backward_under_their_own_names(rng):
    assert Mm.forward is MatMul.forward and Mm.backward is MatMul.backward
    assert Bmm.forward is MatMul.forward and Bmm.backward is MatMul.backward
    a = mc.tensor(rng.standard_normal((2, 3, 4)), requires_grad=True)
    b = mc.tensor(rng.standard_normal((2, 4, 5)), requires_grad=True)
    assert type(mc.bmm(a, b).grad_fn).__name__ == "Bmm"
    assert type(F.mm(a[0], b[1]).grad_fn).__name__ == "Mm"


@pytest.mark.parametrize("op", ["mm", "bmm"])
def test_output_and_gradients_are_matmuls(op, rng):
    """The same arrays through mm (or bmm) and through matmul give the same numbers."""
    shapes = {"mm": ((3, 4), (4, 2)), "bmm": ((2, 3, 4), (2, 4, 2))}[op]
    arrays = [rng.standard_normal(s) for s in shapes]
    w = rng.standard_normal(shapes[0][:-1] + shapes[1][-1:])
    results = []
    for fn in (getattr(mc, op), mc.matmul):
        a, b = (mc.tensor(x, requires_grad=True) for x in arrays)
        y = fn(a, b)
        (y * mc.tensor(w)).sum().backward()
        results.append([y.numpy(), a.grad.numpy(), b.grad.numpy()])
    for got, want in zip(*results):
        np.testing.assert_array_equal(got, want)


def test_only_the_gradient_asked_for_is_computed(rng):
    a = mc.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    b = mc.tensor(rng.standard_normal((4, 2)))
    a.mm(b).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), np.ones((3, 2)) @ b.numpy().T, rtol=1e-12)
    assert b.grad is None


def test_empty_sizes_give_zeros_as_pytorch():
    y = mc.mm(mc.zeros(3, 0), mc.zeros(0, 2))
    assert y.shape == (3, 2) and not y.numpy().any()
    assert mc.bmm(mc.zeros(0, 3, 4), mc.zeros(0, 4, 5)).shape == (0, 3, 5)


F32, F64 = np.float32, np.float64


def _t(shape, dtype=F64):
    return mc.tensor(np.ones(shape, dtype=dtype))


@pytest.mark.parametrize(
    "call, error, message",
    [
        (
            lambda: mc.mm(_t((3, 4)), _t(4)),
            ValueError,
            r"mm: mat2 must be a matrix \(2-D\), got shape \(4,\); ",
        ),
        (
            lambda: mc.mm(_t((2, 3, 4)), _t((4, 5))),
            ValueError,
            r"mm: input must be a matrix \(2-D\), got shape \(2, 3, 4\)",
        ),
        (lambda: mc.mm(_t((3, 4)), _t(())), ValueError, r"mm: mat2 must be a matrix \(2-D\), got shape \(\)"),
        (
            lambda: mc.mm(_t((3, 4)), _t((3, 4))),
            ValueError,
            r"mm: shapes \(3, 4\) and \(3, 4\) cannot be multiplied \(4 != 3\)",
        ),
        (
            lambda: mc.mm(_t((3, 4), F32), _t((4, 5))),
            TypeError,
            r"mm: input is float32 but mat2 is float64; convert one",
        ),
        (
            lambda: mc.mm(_t((3, 4), np.int32), _t((4, 5), np.int64)),
            TypeError,
            r"mm: input is int32 but mat2 is int64",
        ),
        (
            lambda: mc.mm(_t((3, 4), bool), _t((4, 5), bool)),
            TypeError,
            r"mm: expected a number tensor, got bool",
        ),
        (
            lambda: mc.mm(_t((3, 4)), np.ones((4, 5))),
            TypeError,
            r"mm: mat2 must be a minicnn Tensor, got numpy\.ndarray",
        ),
        (lambda: _t((3, 4)).mm(2.0), TypeError, r"mm: mat2 must be a minicnn Tensor, got float$"),
        (
            lambda: mc.bmm(_t((3, 4)), _t((4, 5))),
            ValueError,
            r"bmm: input must be a batch of matrices \(3-D\), got shape \(3, 4\)",
        ),
        (
            lambda: mc.bmm(_t((2, 3, 4)), _t((3, 4, 5))),
            ValueError,
            r"bmm: input holds 2 matrices but mat2 3; shapes \(2, 3, 4\) and \(3, 4, 5\)$",
        ),
        (lambda: mc.bmm(_t((2, 3, 4)), _t((1, 4, 5))), ValueError, r"bmm: input holds 2 matrices but mat2 1"),
        (
            lambda: mc.bmm(_t((2, 3, 4)), _t((2, 5, 5))),
            ValueError,
            r"bmm: shapes \(2, 3, 4\) and \(2, 5, 5\) cannot be multiplied \(4 != 5\)",
        ),
        (
            lambda: mc.bmm(_t((2, 3, 4)), _t((2, 4, 5), F32)),
            TypeError,
            r"bmm: input is float64 but mat2 is float32",
        ),
        (
            lambda: _t((2, 3, 4), bool).bmm(_t((2, 4, 5), bool)),
            TypeError,
            r"bmm: expected a number tensor, got bool",
        ),
    ],
)
def test_what_pytorch_refuses_is_refused_in_one_line(call, error, message):
    with pytest.raises(error, match="^" + message) as info:
        call()
    assert "\n" not in str(info.value)
