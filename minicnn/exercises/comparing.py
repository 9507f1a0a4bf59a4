"""Comparing an answer with the expected one, and saying in a sentence how they differ.

Every element must satisfy NumPy's ``isclose``: ``|got - expected| <= ATOL + RTOL * |expected|``.
Float64 results computed in another order agree to about 1e-13, so a right answer passes with
room to spare. float32 keeps only about 7 significant digits (a relative step of 6e-8): its
answers miss by about 1e-7 of their size, within the tolerance, except where sums cancel, and
then by more (``hints.py`` says when a miss is float32's).
"""

import numpy as np

# float64 results computed in another order agree to about 1e-13; a real bug is far larger.
RTOL, ATOL = 1e-6, 1e-8
TOLERANCE = f"{ATOL:g} + {RTOL:g} * |expected|"  # what |got - expected| may be


SHOWN = 120  # the characters of an answer's repr a message quotes


def one_line(text, limit=500):
    """``text`` on one line, control characters escaped (``\\x1b``), cut at ``limit`` characters:
    what a submission says, or its answer's repr, cannot pass for a line of the grader's own, move
    the cursor, or fill the screen."""
    raw = str(text)
    text = " ".join(raw[: 4 * limit].split())  # NOTE: cut first: a repr can be megabytes
    text = "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)
    if len(text) <= limit and len(raw) <= 4 * limit:
        return text
    return text[: limit - 3] + "..."


def shown(value, limit=SHOWN):
    """``value`` as a message quotes it: its repr, through ``one_line``."""
    try:
        text = repr(value)
    except Exception:  # a __repr__ that raises; an int of more digits than Python writes out
        text = f"<{type(value).__name__} object>"
    return one_line(text, limit)


def parts(ex, out):
    """What exercise ``ex``'s function returned, ``out``, as a list of (name, value) by its
    ``returns``; or None and a sentence saying why it cannot be read so."""
    if len(ex.returns) == 1:
        return [(ex.returns[0], out)], None
    if not isinstance(out, (tuple, list)) or len(out) != len(ex.returns):
        got = f"a {type(out).__name__}" + (f" of length {len(out)}" if isinstance(out, (tuple, list)) else "")
        return None, f"expected a tuple ({', '.join(ex.returns)}), got {got}"
    return list(zip(ex.returns, out)), None


def compare(name, got, want):
    """None when got equals want (shape, dtype kind and values); else a sentence saying how not.

    ``got`` may be anything a function returns: an answer of another kind than ``want`` gets a
    sentence too, never an error."""
    if isinstance(want, dict):
        return _compare_dict(name, got, want)
    if isinstance(want, (list, tuple)):
        return _compare_sequence(name, got, want)
    if _as_int(want) is not None and not isinstance(want, np.ndarray):
        return _compare_int(name, got, int(want))
    if want is None or isinstance(want, (str, bytes, bool)):
        if type(got) is type(want) and got == want:
            return None
        return f"{name}: expected {shown(want)}, got {shown(got)}"
    if got is None:
        return f"{name} is None; expected an array of shape {np.shape(want)}"
    library = str(getattr(type(got), "__module__", "")).split(".")[0]
    if library in ("minicnn", "torch"):
        return f"{name} is a {library} {type(got).__name__}; return a NumPy array"
    w = np.asarray(want)
    if isinstance(got, (list, tuple)):
        return f"{name} is a Python {type(got).__name__}; return a NumPy array of {w.dtype}"
    try:
        g = np.asarray(got)
    except Exception:  # a ragged list, an object NumPy cannot read
        return f"{name} is {_a(got)} that NumPy cannot read as an array"
    if g.dtype.kind == "O" and not isinstance(got, np.ndarray):  # a generator, a map, an object
        return f"{name} is {_a(got)}, not an array; return a NumPy array of {w.dtype}"
    if g.dtype.kind == "O":
        return f"{name} is an array of Python objects (dtype object); return a NumPy array of {w.dtype}"
    if g.shape != w.shape:
        return f"{name} has shape {g.shape}; expected {w.shape}"
    if g.dtype.kind == "b":
        return f"{name} has dtype bool (True and False, as a comparison gives); expected {w.dtype}"
    if g.dtype.kind in "iu":
        return f"{name} has dtype {g.dtype}; expected {w.dtype} (an integer array rounds every value)"
    if g.dtype.kind not in "fc":
        return f"{name} has dtype {g.dtype}; expected {w.dtype}"
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


def _compare_dict(name, got, want):
    if not isinstance(got, dict):
        return f"{name} should be a dict with keys {_keys(want)}, got {_a(got)}"
    missing, extra = [k for k in want if k not in got], [k for k in got if k not in want]
    if missing or extra:
        said = [f"missing {_keys(missing)}"] if missing else []
        said += [f"{_keys(extra)} should not be there"] if extra else []
        return f"{name} should have the keys {_keys(want)}; {', and '.join(said)}"
    for key in want:
        why = compare(f"{name}[{key!r}]", got[key], want[key])
        if why:
            return why
    return None


def _keys(keys, most=20):
    """Keys of a dict in the order given: the expected dict's own (a network's parameters in the
    network's order), or the answer's for keys it should not have."""
    keys = [shown(key, 60) for key in keys]
    more = f", and {len(keys) - most} more" if len(keys) > most else ""
    return f"[{', '.join(keys[:most])}{more}]"


def _compare_sequence(name, got, want):
    """A list or tuple ``want`` (of counts, say): ``got`` a list, a tuple or a 1-d array as long."""
    items = None
    if isinstance(got, (list, tuple)) or (isinstance(got, np.ndarray) and got.ndim == 1):
        items = list(got)
    if items is None or len(items) != len(want):
        return f"{name}: expected {shown(list(want))}, got {shown(got)}"
    for i, (g, w) in enumerate(zip(items, want)):
        why = compare(f"{name}[{i}]", g, w)
        if why and _as_int(g) is not None and _as_int(w) is not None:  # counts, one wrong: show them all
            counts = [_as_int(item) for item in items]  # written as the expected ones are, to compare
            counts_shown = shown(counts) if None not in counts else shown(got)
            return f"{name}: expected {shown(list(want))}, got {counts_shown}"
        if why:
            return why
    return None


def _as_int(value):
    """``value`` as an int where it is an integer: a Python int (not a bool), a NumPy integer or a
    0-d integer array; else None."""
    if isinstance(value, (bool, np.bool_)):
        return None
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "iu":
        return int(value)
    return None


def _compare_int(name, got, want):
    """A count: one integer, as an int, a NumPy integer or a 0-d integer array; a float, even a
    whole one, is refused, as the count it stands for is exact only as an int."""
    n = _as_int(got)
    if n is not None:
        return None if n == want else f"{name}: expected {want}, got {n}"
    if isinstance(got, np.ndarray) and got.ndim == 0:
        return f"{name} must be an int, like {want}; got a 0-d {got.dtype} array, {shown(got.item())}"
    if isinstance(got, (float, complex, bool, np.number, np.bool_)):
        value = got.item() if isinstance(got, np.generic) else got  # 1458.0, not np.float64(1458.0)
        return f"{name} must be an int, like {want}; got the {type(got).__name__} {shown(value)}"
    return f"{name}: expected {want}, got {shown(got)}"


def _a(value):
    """'a generator', 'an Everything (from mine)': the type of ``value`` in words."""
    kind = type(value).__name__
    module = str(getattr(type(value), "__module__", ""))
    article = "an" if kind[:1].lower() in "aeiou" else "a"
    where = "" if module == "builtins" else f" (from {one_line(module, 60)})"
    return f"{article} {one_line(kind, 60)}{where}"
