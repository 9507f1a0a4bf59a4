"""Complex tensors in arithmetic, as far as minicnn takes them (docs/api/creation.md): with
numbers and complex tensors as PyTorch computes them; beside a real tensor, and in exp, log,
sqrt, sin, cos and reciprocal, refused in one line naming the op."""

import numpy as np
import pytest

import minicnn as mc

# (op on a tensor z, the same op on its complex128 array): PyTorch keeps z's complex64 for each
SCALAR_OPS = {
    "z + 1": (lambda z: z + 1, lambda a: a + 1),
    "z - 1.5": (lambda z: z - 1.5, lambda a: a - 1.5),
    "z / 2": (lambda z: z / 2, lambda a: a / 2),
    "z + 1j": (lambda z: z + 1j, lambda a: a + 1j),
    "z * 1j": (lambda z: z * 1j, lambda a: a * 1j),
    "2 - z": (lambda z: 2 - z, lambda a: 2 - a),
    "1 / z": (lambda z: 1 / z, lambda a: 1 / a),
    "z ** 2": (lambda z: z**2, lambda a: a**2),
    "z + True": (lambda z: z + True, lambda a: a + 1),
    "z + z": (lambda z: z + z, lambda a: a + a),
    "z + np.float64(1.5)": (lambda z: z + np.float64(1.5), lambda a: a + 1.5),
    "z + np.complex128(1j)": (lambda z: z + np.complex128(1j), lambda a: a + 1j),
    "add alpha=1j": (lambda z: mc.add(z, 1, alpha=1j), lambda a: a + 1j),
    "sub alpha=2": (lambda z: mc.sub(z, 1j, alpha=2), lambda a: a - 2j),
}


@pytest.mark.parametrize("case", SCALAR_OPS)
def test_scalar_arithmetic_on_a_complex_tensor_keeps_its_dtype_and_both_parts_as_pytorch(case):
    """PyTorch: complex64 + 1 is complex64; minicnn crashed in the scalar check ("Invalid integer
    data type 'c'") or dropped the imaginary part (z - 1.5, z / 2)."""
    op, reference = SCALAR_OPS[case]
    rng = np.random.default_rng(4501)
    a = (rng.normal(size=5) + 1j * rng.normal(size=5)).astype(np.complex64)
    y = op(mc.tensor(a))
    assert y.dtype == np.complex64
    np.testing.assert_allclose(y.numpy(), reference(a.astype(np.complex128)), rtol=1e-5, atol=1e-6)


def test_a_complex_tensor_changed_in_place_by_a_number_keeps_both_parts():
    rng = np.random.default_rng(4502)
    a = (rng.normal(size=4) + 1j * rng.normal(size=4)).astype(np.complex64)
    z = mc.tensor(a)
    z += 1
    z *= 1j
    z /= 2
    assert z.dtype == np.complex64
    np.testing.assert_allclose(z.numpy(), (a.astype(np.complex128) + 1) * 1j / 2, rtol=1e-5, atol=1e-6)


# (case, dtype): torch 2.14's, written down from running each case there
COMPLEX_DTYPES = [
    (lambda z64, z128: z128 + 1j, "complex128"),
    (lambda z64, z128: z64 + z128, "complex128"),
    (lambda z64, z128: z64 + mc.tensor(np.complex128(1j)), "complex64"),  # a 0-d one: dims decide
    (lambda z64, z128: mc.tensor(np.complex128(1j)) * z64, "complex64"),
]


@pytest.mark.parametrize("case, dtype", COMPLEX_DTYPES)
def test_complex_tensors_meet_in_pytorchs_dtype(case, dtype):
    rng = np.random.default_rng(4503)
    a = rng.normal(size=3) + 1j * rng.normal(size=3)
    assert case(mc.tensor(a.astype(np.complex64)), mc.tensor(a)).dtype == dtype


REAL_BESIDE_COMPLEX = [
    (
        lambda z, x: z + x,
        r"^add: a complex operand meets only numbers and complex tensors in minicnn, "
        r"got complex64 tensor and float32 tensor; convert the real tensor with \.to\(np\.complex64\) first$",
    ),
    (lambda z, x: x * z, r"^mul: .* got float32 tensor and complex64 tensor;"),
    (lambda z, x: x + 1j, r"^add: .* got float32 tensor and the complex number 1j;"),
    (lambda z, x: x.long() * 1j, r"^mul: .* got int64 tensor and the complex number 1j;"),
    (lambda z, x: z / x.long(), r"^div: .* got complex64 tensor and int64 tensor;"),
]


@pytest.mark.parametrize("call, says", REAL_BESIDE_COMPLEX)
def test_a_complex_operand_beside_a_real_tensor_is_refused_in_one_line(call, says):
    """PyTorch promotes the real tensor (and differentiates through complex values); minicnn
    refuses, where it dropped the imaginary part with NumPy's ComplexWarning."""
    rng = np.random.default_rng(4504)
    z = mc.tensor((rng.normal(size=3) + 1j).astype(np.complex64))
    with pytest.raises(TypeError, match=says):
        call(z, mc.tensor(rng.normal(size=3).astype(np.float32)))


@pytest.mark.parametrize("name", ["exp", "log", "sqrt", "sin", "cos", "reciprocal"])
def test_a_real_function_of_a_complex_tensor_is_refused_where_it_kept_the_real_part(name):
    rng = np.random.default_rng(4505)
    z = mc.tensor((rng.normal(size=3) + 1j * rng.normal(size=3)).astype(np.complex64))
    with pytest.raises(TypeError, match=rf"^{name}: expected a real tensor, got complex64 \(minicnn"):
        getattr(mc, name)(z)
