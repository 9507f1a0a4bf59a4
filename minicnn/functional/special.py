"""The complementary error function, which NumPy lacks and GELU needs: Phi(x) = erfc(-x / sqrt 2) / 2.

W. J. Cody's rational approximations ("Rational Chebyshev approximations for the
error function", Math. Comp. 23, 1969; netlib's specfun ``calerf``), written on
``xp`` so the same lines run on CuPy. Each of the three pieces is evaluated on a
clipped copy of |x| and the right one chosen by ``where``, so nothing overflows
and no branch runs on the other's inputs.
"""

from __future__ import annotations

import math
from typing import Any

from .. import backend

# fmt: off
# |x| <= 0.46875:  erf x = x A(x^2) / B(x^2)            (highest power first)
_A = (1.85777706184603153e-1, 3.16112374387056560e0, 1.13864154151050156e2, 3.77485237685302021e2,
      3.20937758913846947e3)
_B = (1.0, 2.36012909523441209e1, 2.44024637934444173e2, 1.28261652607737228e3, 2.84423683343917062e3)
# 0.46875 < |x| <= 4:  erfc |x| = e^(-x^2) C(|x|) / D(|x|)
_C = (2.15311535474403846e-8, 5.64188496988670089e-1, 8.88314979438837594e0, 6.61191906371416295e1,
      2.98635138197400131e2, 8.81952221241769090e2, 1.71204761263407058e3, 2.05107837782607147e3,
      1.23033935479799725e3)
_D = (1.0, 1.57449261107098347e1, 1.17693950891312499e2, 5.37181101862009858e2, 1.62138957456669019e3,
      3.29079923573345963e3, 4.36261909014324716e3, 3.43936767414372164e3, 1.23033935480374942e3)
# |x| > 4:  erfc |x| = e^(-x^2) (1/sqrt(pi) - P(1/x^2) / (x^2 Q(1/x^2))) / |x|
_P = (1.63153871373020978e-2, 3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1,
      1.60837851487422766e-2, 6.58749161529837803e-4)
_Q = (1.0, 2.56852019228982242e0, 1.87295284992346047e0, 5.27905102951428412e-1, 6.05183413124413191e-2,
      2.33520497626869185e-3)
# fmt: on


def _poly(coefficients: tuple[float, ...], t: Any) -> Any:
    """c0 t^n + c1 t^(n-1) + ... + cn, by Horner's rule (Python floats keep t's dtype)."""
    s = coefficients[0] * t
    for c in coefficients[1:-1]:
        s = (s + c) * t
    return s + coefficients[-1]


def _exp_minus_square(y: Any) -> Any:
    """e^(-y^2) for y >= 0, as e^(-s^2) e^(-(y - s)(y + s)) with s = y rounded down to 1/16:
    s^2 is exact, so the rounding of y^2 is not magnified by the exponential."""
    xp = backend.xp_of(y)
    s = xp.floor(16 * y) / 16
    return xp.exp(-s * s) * xp.exp(-(y - s) * (y + s))


def erfc(x: Any) -> Any:
    """1 - erf x, elementwise on a float array, to a few units in the last place of x's dtype,
    relatively even where it is tiny (large x) or near 2 (x very negative): no 1 - erf there."""
    xp = backend.xp_of(x)
    y = abs(x)
    small = xp.minimum(y, 0.46875)  # NOTE: each piece on a clipped copy: x^2 of a large x overflows
    z = small * small
    near = 1 - x * (_poly(_A, z) / _poly(_B, z))
    mid = xp.clip(y, 0.46875, 4.0)
    far = xp.clip(y, 4.0, 30.0)  # past 27, e^(-x^2) underflows: erfc is 0 in float64 and float32
    w = 1 / (far * far)
    tail = xp.where(
        y <= 4,
        _exp_minus_square(mid) * (_poly(_C, mid) / _poly(_D, mid)),
        _exp_minus_square(far) * (1 / math.sqrt(math.pi) - w * (_poly(_P, w) / _poly(_Q, w))) / far,
    )
    return xp.where(y <= 0.46875, near, xp.where(x < 0, 2 - tail, tail)).astype(x.dtype, copy=False)
