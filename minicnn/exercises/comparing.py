"""Comparing an answer with the expected one, and saying in a sentence how they differ.

Every element must satisfy NumPy's ``isclose``: ``|got - expected| <= ATOL + RTOL * |expected|``.
Float64 results computed in another order agree to about 1e-13, so a right answer passes with
room to spare; float32 keeps only about 7 significant digits, and fails by a little, which
``precision_hint`` recognises.
"""

import numpy as np

# float64 results computed in another order agree to about 1e-13; a real bug is far larger.
RTOL, ATOL = 1e-6, 1e-8
TOLERANCE = f"{ATOL:g} + {RTOL:g} * |expected|"  # what |got - expected| may be
# the relative error of a float32 step (its epsilon is 1.2e-7), grown over a few hundred of them
FLOAT32_ERROR = 1e-5


def compare(name, got, want):
    """None when got equals want (shape, dtype kind and values); else a sentence saying how not."""
    if isinstance(want, dict):
        if not isinstance(got, dict):
            return f"{name} should be a dict with keys {sorted(want)}, got {type(got).__name__}"
        if set(got) != set(want):
            return f"{name} has keys {sorted(got)}; expected {sorted(want)}"
        for key in want:
            why = compare(f"{name}[{key!r}]", got[key], want[key])
            if why:
                return why
        return None
    if isinstance(want, (list, tuple)) and not isinstance(want, np.ndarray):
        got_list = list(got) if isinstance(got, (list, tuple, np.ndarray)) else None
        if got_list != list(want):
            return f"{name}: expected {list(want)}, got {got!r}"
        for i, (g, w) in enumerate(zip(got_list, want)):
            why = _not_an_int(f"{name}[{i}]", g, w)
            if why:
                return why
        return None
    if isinstance(want, (int, np.integer)) and not isinstance(want, bool):
        if not isinstance(got, (int, np.integer)) or int(got) != int(want):
            return _not_an_int(name, got, want) or f"{name}: expected {int(want)}, got {got!r}"
        return None
    if got is None:
        return f"{name} is None; expected an array of shape {np.shape(want)}"
    if type(got).__module__.split(".")[0] in ("minicnn", "torch"):
        return f"{name} is a {type(got).__module__.split('.')[0]} {type(got).__name__}; return a NumPy array"
    if isinstance(got, (list, tuple)):
        return f"{name} is a Python {type(got).__name__}; return a NumPy array of {np.asarray(want).dtype}"
    try:
        g = np.asarray(got)
    except Exception:  # a ragged list, an object NumPy cannot read
        return f"{name} is a {type(got).__name__} that NumPy cannot read as an array"
    w = np.asarray(want)
    if g.dtype.kind == "O":
        return f"{name} is an array of Python objects (dtype object); return a NumPy array of {w.dtype}"
    if g.shape != w.shape:
        return f"{name} has shape {g.shape}; expected {w.shape}"
    if g.dtype.kind not in "fc":
        return f"{name} has dtype {g.dtype}; expected {w.dtype} (an integer array rounds every value)"
    if g.dtype.kind == "c" and w.dtype.kind != "c":
        return f"{name} has the complex dtype {g.dtype}; expected {w.dtype}: the answer is real"
    if g.dtype.itemsize < w.dtype.itemsize:
        return f"{name} has dtype {g.dtype}; expected {w.dtype} like the inputs (keep the inputs' dtype)"
    bad = ~np.isclose(g, w, rtol=RTOL, atol=ATOL, equal_nan=True)
    if not bad.any():
        return None
    excess = np.abs(g - w) - (ATOL + RTOL * np.abs(w))
    excess = np.where(np.isnan(excess), np.inf, excess)
    idx = np.unravel_index(int(np.argmax(excess)), w.shape) if w.ndim else ()
    at = f"{name}[{', '.join(str(int(i)) for i in idx)}]" if w.ndim else name
    expected, got_one = float(w[idx].real), float(g[idx].real)
    shown_w, shown_g = _apart(expected, got_one)
    return (
        f"{int(bad.sum())} of {bad.size} elements of {name} differ; the worst is {at}: "
        f"expected {shown_w}, got {shown_g}{_how_far(expected, got_one)}"
    )


def _apart(a, b):
    """a and b with 6 significant digits, or, where they are closer than that shows, with as
    many as make their difference two digits, trailing zeros kept (-0.02013300, -0.02013286)."""
    scale, off = max(abs(a), abs(b)), abs(a - b)
    if not (np.isfinite(scale) and 0 < off < scale * 1e-4):
        return f"{a:.6g}", f"{b:.6g}"
    digits = min(17, int(np.floor(np.log10(scale)) - np.floor(np.log10(off))) + 2)
    return f"{a:#.{digits}g}", f"{b:#.{digits}g}"


def _how_far(expected, got):
    """' (off by 1.4e-07, relative error 7.1e-06; the tolerance here is ...)' where the miss is
    within a thousand times the tolerance, and the tolerance is what decides; else ''."""
    off = abs(got - expected)
    allowed = ATOL + RTOL * abs(expected)
    if not np.isfinite(off) or off > 1000 * allowed:
        return ""
    relative = f", relative error {off / abs(expected):.2g}" if expected else ""
    return f" (off by {off:.2g}{relative}; the tolerance here is {TOLERANCE} = {allowed:.2g})"


def precision_hint(got, want):
    """A hint when the first output that fails misses by no more than float32 rounding (or holds
    only float32 values, close to the answer): a float32 step somewhere; else ''."""
    if isinstance(want, dict) and isinstance(got, dict):
        for key in want:
            if key in got and compare("", got[key], want[key]):
                return precision_hint(got[key], want[key])
        return ""
    if not isinstance(got, np.ndarray) or got.dtype.kind != "f" or np.asarray(want).dtype.kind != "f":
        return ""
    g, w = got.astype(np.float64), np.asarray(want, dtype=np.float64)
    if g.shape != w.shape or not (np.isfinite(g).all() and np.isfinite(w).all()):
        return ""
    bad = ~np.isclose(g, w, rtol=RTOL, atol=ATOL)
    if not bad.any():
        return ""
    worst = float(np.max(np.abs(g - w)[bad] / (np.abs(w[bad]) + ATOL)))
    only_float32 = np.array_equal(g.astype(np.float32), g) and not np.array_equal(w.astype(np.float32), w)
    if worst > (1e-3 if only_float32 else FLOAT32_ERROR):
        return ""
    return (
        "\n  hint: a miss this small is what float32 arithmetic gives (about 7 significant digits); "
        "the grader compares with float64's (about 16). Compute in float64 throughout, as the "
        "inputs are: look for np.float32, dtype=np.float32 or .astype(np.float32)"
    )


def _not_an_int(name, got, want):
    """A sentence when ``want`` is an int and ``got`` is a number of another type (1458.0), else None."""
    is_int = lambda v: isinstance(v, (int, np.integer)) and not isinstance(v, bool)  # noqa: E731
    if is_int(want) and not is_int(got) and isinstance(got, (float, complex, np.number, bool)):
        return f"{name} must be an int, like {int(want)}; got the {type(got).__name__} {got!r}"
    return None
