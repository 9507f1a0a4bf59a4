"""The hint a failure ends with, said only where the case shows it: the grader computes it from the
case's own arguments, never from the size of the miss alone.

- A known mistake: its ``compute`` on the failing case gives the student's answer (within the
  tolerance), and on every case the student passed before it gives the right answer (else the
  student, who passed those, cannot have made it, and the match is a coincidence: a count that
  is half the right one, say).
- float32: the answer is float32's (its dtype, or every value a float32 number), or it is off the
  way float32 work is: by no more than FLOAT32_SPREAD times as much as the right answer moves when
  the inputs are rounded to float32, and nearer the right answer for those rounded inputs than to
  the right answer itself. A small term in the wrong place (eps inside a square root) misses by
  more than that, or in another direction, and gets no float32 hint.
- NaN or inf where the answer is finite: an overflow, or 0/0.
"""

import copy

import numpy as np

from .comparing import compare, parts

# float32 work misses by a few times as much as rounding the inputs to float32 moves the answer
# (its own rounding adds a few steps more); a misplaced term misses by tens to thousands of times
FLOAT32_SPREAD = 10
LOOK_FOR = "look for np.float32, dtype=np.float32 or .astype(np.float32)"


def hint(ex, args, out, want, passed):
    """'\\n  hint: ...' for the student's answer ``out`` on the case ``args``, or ''. ``want``: the
    right outputs as ``parts`` gives them (None where ``ex.judge`` decides); ``passed``:
    (args, want) of each case passed before this one."""
    for mistake in ex.mistakes:
        wrong = _computed(mistake.compute, args)
        if wrong is not _NONE and _same_answer(ex, out, wrong) and _right_on(ex, mistake, passed):
            return f"\n  hint: {mistake.hint}"
    if want is None:
        return ""
    got, _ = parts(ex, out)
    wrong = first_wrong(got, want) if got is not None else None
    if wrong is None:
        return ""
    g, w, path = wrong
    return _not_finite(g, w) or _float32(ex, args, g, w, path)


_NONE = object()  # a mistake that cannot be computed on a case: not that mistake


def _computed(compute, args):
    try:
        with np.errstate(all="ignore"):
            return compute(*copy.deepcopy(args))
    except Exception:  # this variant does not apply to this case (e.g. shapes)
        return _NONE


def _same_answer(ex, out, wrong):
    """Whether the answers ``out`` and ``wrong`` agree, output by output, within the tolerance."""
    got, _ = parts(ex, out)
    bad, _ = parts(ex, wrong)
    if got is None or bad is None:
        return False
    try:
        return all(compare(n, g, b) is None for (n, g), (_, b) in zip(got, bad))
    except Exception:  # an answer of another kind: not this mistake
        return False


def _right_on(ex, mistake, passed):
    """Whether the mistake gives the right answer on each case passed before (where it cannot be
    computed, that case says nothing)."""
    for args, want in passed:
        wrong = _computed(mistake.compute, args)
        if wrong is _NONE:
            continue
        try:
            if ex.judge is not None:
                if ex.judge(args, wrong) is not None:
                    return False
                continue
            bad, _ = parts(ex, wrong)
            if bad is None or any(compare(n, b, w) for (n, b), (_, w) in zip(bad, want)):
                return False
        except Exception:  # a wrong answer of another kind than the right one: not right
            return False
    return True


def first_wrong(got, want):
    """(got, expected, path) of the first output that differs, and inside a dict output, of its first
    entry that differs: ``path`` is the output's index, then the keys. None where none can be said."""
    try:
        for i, ((name, g), (_, w)) in enumerate(zip(got, want)):
            if compare(name, g, w) is None:
                continue
            path = (i,)
            while isinstance(w, dict) and isinstance(g, dict):
                key = next((k for k in w if k in g and compare("", g[k], w[k])), None)
                if key is None:
                    return None
                g, w, path = g[key], w[key], path + (key,)
            return g, w, path
    except Exception:  # an answer compare cannot read: no hint
        return None
    return None


def _not_finite(g, w):
    g, w = _floats(g), _floats(w)
    if g is None or w is None or g.shape != w.shape:
        return ""
    if np.isfinite(w).all() and not np.isfinite(g).all():
        return (
            "\n  hint: the answer holds nan or inf where the expected one is finite: look for an exp "
            "that overflowed (np.exp of more than about 709 is inf), a 0/0, or inf - inf"
        )
    return ""


def _floats(value):
    if not isinstance(value, np.ndarray) or value.dtype.kind != "f":
        return None
    return value


def _float32(ex, args, g, w, path):
    """The float32 hint where the answer is float32's (see the module's docstring), else ''."""
    g, w = _floats(g), _floats(w)
    if g is None or w is None:
        return ""
    if g.dtype.itemsize < w.dtype.itemsize:  # compare named the dtype, not a miss
        return (
            f"\n  hint: float64 keeps about 16 significant digits, float32 about 7, and the grader "
            f"compares with float64's. Compute in float64 throughout, as the inputs are: {LOOK_FOR}"
        )
    g, w = g.astype(np.float64), w.astype(np.float64)
    if g.shape != w.shape or not (np.isfinite(g).all() and np.isfinite(w).all()):
        return ""
    miss = np.abs(g - w)
    if np.array_equal(g.astype(np.float32), g) and not np.array_equal(w.astype(np.float32), w):
        # every value a float32 number: float32's, computed and cast back (where sums cancel, by
        # much more than 1e-7 of an element's own size: compared with the output's largest)
        close = miss.max() <= 1e-3 * np.abs(w).max()
    else:
        # as far off as float32 work: its rounding of the inputs alone moves the answer that far; and
        # off in float32's direction: nearer the answer for the rounded inputs than to the right one
        moved = _for_rounded_inputs(ex, args, w, path)
        close = (
            moved is not None
            and miss.max() <= min(FLOAT32_SPREAD * np.abs(moved - w).max(), 1e-4 * np.abs(w).max())
            and np.linalg.norm(g - moved) < np.linalg.norm(g - w)
        )
    if not close:
        return ""
    return (
        "\n  hint: a miss this small is what float32 arithmetic gives (about 7 significant digits); "
        f"the grader compares with float64's (about 16). Compute in float64 throughout, as the "
        f"inputs are: {LOOK_FOR}"
    )


def _for_rounded_inputs(ex, args, w, path):
    """The right answer (its output at ``path``, of ``w``'s shape) for the arguments with every
    float64 array in them rounded to float32, in float64; None where that cannot be computed."""
    try:
        with np.errstate(all="ignore"):
            moved, _ = parts(ex, ex.expected(*[_rounded(a) for a in copy.deepcopy(args)]))
        value = moved[path[0]][1]
        for key in path[1:]:
            value = value[key]
        value = np.asarray(value, dtype=np.float64)
    except Exception:  # an expected that refuses the rounded arguments: no float32 hint
        return None
    if value.shape != w.shape or not np.isfinite(value).all():
        return None
    return value


def _rounded(value):
    """``value`` with every float64 array in it (through dicts, lists and tuples) rounded to float32,
    kept float64."""
    if isinstance(value, np.ndarray) and value.dtype == np.float64:
        return value.astype(np.float32).astype(np.float64)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_rounded(v) for v in value)
    return value
