"""The claims ledger: each notebook's experiments, measured over seeds, in one JSON file.

A claim from the essay becomes an entry: one value of a metric per seed for a
baseline and for a treatment, paired by seed (the same seed gives both runs
the same data order and, where the nets match, the same initial weights).
From the paired differences d_i = treatment_i - baseline_i:

    effect = mean(d),    ci95 = effect +- t_{0.975, n-1} * sd(d) / sqrt(n)

the paired t-interval, written [low, high]. The verdict follows from the
interval alone. For a claim that the treatment is *better* (``expected`` is
``treatment_lower`` or ``treatment_higher``): ``shown`` when the interval lies
wholly on the expected side of 0, ``reversed`` when it lies wholly on the other
side, ``not shown`` otherwise.

A claim that the treatment is *as good as* the baseline cannot be shown by an
interval that merely includes 0 (a run too short to tell anything apart would
show it). It needs a margin m > 0, in the metric's units, fixed before the run:
the largest difference still counted as "as good". With lower better (an
error), ``treatment_not_higher``:

    shown      if high <= m     (the treatment is worse by at most m)
    reversed   if low > m       (the treatment is worse by more than m)
    not shown  otherwise        (the interval reaches past m: it cannot tell)

and with higher better (an accuracy), ``treatment_not_lower``, the mirror image:
``shown`` if low >= -m, ``reversed`` if high < -m, ``not shown`` otherwise. Each
bound of a 95% two-sided interval is a one-sided test at 2.5%, so ``shown``
here is a non-inferiority test at that level. It does not say the two are
equal: a treatment far better than the baseline passes too. The course uses
one margin for every such claim, ``AS_GOOD_AS_MARGIN`` (1 percentage point of
error or accuracy), passed as ``margin=`` and stored in the entry.

    import ledger
    entry = ledger.record("relu_faster_than_tanh", notebook="04_alexnet_tricks",
                          essay="ReLU trains several times faster than tanh",
                          setup="...", metric="iterations to 20% training error",
                          baseline=("tanh", [...]), treatment=("relu", [...]),
                          expected="treatment_lower")
    print(ledger.describe(entry))     # the line the prose quotes

Most entries test a claim of the essay (``source="essay"``, the default). A
notebook may also ask a question of its own that no essay sentence makes (say,
whether LRN's effect is that of the constant it reduces to); such an entry
has ``source="notebook"``, its ``essay`` field holds the notebook's hypothesis,
and its printed line says that it is the notebook's own question, so that its
verdict is not read as one on the essay. Entries written before the field
existed are essay claims.

Full-mode runs (MINICNN_FAST unset or 0) write ``notebooks/claims.json``; fast
runs write a scratch ledger (``$MINICNN_LEDGER``, or one in the temp folder),
so a smoke run never overwrites measured results.
"""

import json
import math
import numbers
import os
import pathlib
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
LEDGER = HERE / "claims.json"
EXPECTED = ("treatment_lower", "treatment_higher", "treatment_not_higher", "treatment_not_lower")
NEEDS_MARGIN = ("treatment_not_higher", "treatment_not_lower")  # the "as good as" claims
# the course's margin for every "as good as" claim: 1 percentage point of error or accuracy
AS_GOOD_AS_MARGIN = 1.0
VERDICTS = ("shown", "not shown", "reversed")
# what an entry tests: a claim of the essay, or a question the notebook asks itself
SOURCES = ("essay", "notebook")

# two-sided 95% quantiles of Student's t, by degrees of freedom
_T975 = {
    1: 12.706,
    2: 4.303,
    3: 3.182,
    4: 2.776,
    5: 2.571,
    6: 2.447,
    7: 2.365,
    8: 2.306,
    9: 2.262,
    10: 2.228,
    11: 2.201,
    12: 2.179,
    13: 2.160,
    14: 2.145,
    15: 2.131,
    16: 2.120,
    17: 2.110,
    18: 2.101,
    19: 2.093,
    20: 2.086,
    25: 2.060,
    30: 2.042,
}


def t975(df):
    """The 0.975 quantile of Student's t with ``df`` degrees of freedom."""
    if df < 1:
        raise ValueError(f"t975: need at least 1 degree of freedom, got {df}")
    if df in _T975:
        return _T975[df]
    # NOTE: Cornish-Fisher expansion around the normal quantile; within 1e-3 of
    # the exact value from df = 21 on, and the table covers what lies below
    z = 1.959964
    return z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)


def paired_interval(baseline, treatment):
    """(effect, (low, high)): the mean of treatment - baseline and its paired 95% t-interval."""
    if len(baseline) != len(treatment):
        raise ValueError(f"paired values need equal lengths, got {len(baseline)} and {len(treatment)}")
    n = len(baseline)
    if n < 2:
        raise ValueError(f"a paired interval needs at least 2 seeds, got {n}")
    d = [float(t) - float(b) for b, t in zip(baseline, treatment)]
    if not all(math.isfinite(v) for v in d):
        raise ValueError(f"paired values must be finite, got differences {d}")
    mean = sum(d) / n
    sd = math.sqrt(sum((v - mean) ** 2 for v in d) / (n - 1))
    half = t975(n - 1) * sd / math.sqrt(n)
    return mean, (mean - half, mean + half)


def check_margin(expected, margin):
    """A margin > 0 for the "as good as" kinds, none for the others; raises ValueError otherwise."""
    if expected not in EXPECTED:
        raise ValueError(f"expected must be one of {EXPECTED}, got {expected!r}")
    if expected in NEEDS_MARGIN:
        if isinstance(margin, bool) or not isinstance(margin, numbers.Real):
            raise ValueError(f"{expected} needs a margin, a number > 0 in the metric's units; got {margin!r}")
        if not (math.isfinite(margin) and margin > 0):
            raise ValueError(f"{expected}: the margin must be finite and > 0, got {margin!r}")
    elif margin is not None:
        raise ValueError(f"{expected} takes no margin (only {NEEDS_MARGIN} do), got {margin!r}")


def verdict(ci95, expected, margin=None):
    """'shown', 'reversed' or 'not shown' for an interval of treatment - baseline (module docstring)."""
    check_margin(expected, margin)
    low, high = ci95
    if expected == "treatment_not_higher":
        return "shown" if high <= margin else "reversed" if low > margin else "not shown"
    if expected == "treatment_not_lower":
        return "shown" if low >= -margin else "reversed" if high < -margin else "not shown"
    below, above = high < 0, low > 0
    if expected == "treatment_lower":
        return "shown" if below else "reversed" if above else "not shown"
    return "shown" if above else "reversed" if below else "not shown"


def fast_mode():
    return os.environ.get("MINICNN_FAST") == "1"


def ledger_path():
    """notebooks/claims.json in full mode; a scratch file in fast mode."""
    if not fast_mode():
        return LEDGER
    return pathlib.Path(
        os.environ.get("MINICNN_LEDGER") or pathlib.Path(tempfile.gettempdir()) / "minicnn-claims-fast.json"
    )


def load(path=None):
    """The entries of a ledger file (an empty list if it does not exist yet)."""
    path = pathlib.Path(path or ledger_path())
    if not path.exists():
        return []
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def _finite_or_null(value):
    """NaN and infinities (a diverged run's values) as JSON's null, which strict readers accept."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite_or_null(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite_or_null(v) for v in value]
    return value


def _write(entries, path):
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(_finite_or_null(entries), f, indent=1, allow_nan=False)
            f.write("\n")
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def make_entry(
    claim_id,
    *,
    notebook,
    essay,
    setup,
    metric,
    baseline,
    treatment,
    expected,
    margin=None,
    seeds=None,
    why_not_shown=None,
    extra=None,
    source="essay",
):
    """One ledger entry (a dict) from per-seed values; see the module docstring."""
    check_margin(expected, margin)
    if source not in SOURCES:
        raise ValueError(f"{claim_id}: source must be one of {SOURCES}, got {source!r}")
    (base_name, base_values), (treat_name, treat_values) = baseline, treatment
    base_values = [float(v) for v in base_values]
    treat_values = [float(v) for v in treat_values]
    seeds = list(range(len(base_values))) if seeds is None else [int(s) for s in seeds]
    if seeds != list(range(len(seeds))) or len(seeds) != len(base_values):
        raise ValueError(f"{claim_id}: seeds must be 0..n-1, one per value, got {seeds}")
    effect, ci95 = paired_interval(base_values, treat_values)
    entry = {
        "id": claim_id,
        "notebook": notebook,
        "essay": essay,
        "source": source,
        "setup": setup,
        "metric": metric,
        "baseline": {"name": base_name, "values": base_values},
        "treatment": {"name": treat_name, "values": treat_values},
        "expected": expected,
    }
    if margin is not None:
        entry["margin"] = float(margin)
    entry.update(seeds=seeds, effect=effect, ci95=list(ci95), verdict=verdict(ci95, expected, margin))
    if entry["verdict"] != "shown":
        # one reason, or one per verdict ({"not shown": ..., "reversed": ...}) written before the run
        if isinstance(why_not_shown, dict):
            why_not_shown = why_not_shown.get(entry["verdict"])
        entry["why_not_shown"] = why_not_shown or ""
    if extra:
        entry["extra"] = extra
    return entry


def record(claim_id, **kwargs):
    """Make an entry and write it into the ledger (replacing an entry of the same id)."""
    entry = make_entry(claim_id, **kwargs)
    path = ledger_path()
    entries = [e for e in load(path) if e["id"] != claim_id]
    entries.append(entry)
    entries.sort(key=lambda e: (e["notebook"], e["id"]))
    _write(entries, path)
    return entry


def describe(entry):
    """The one line a notebook prints for an entry; the test suite compares it with the ledger."""
    low, high = entry["ci95"]
    effect = entry["effect"] if abs(entry["effect"]) > 1e-9 else 0.0  # a difference of rounding only
    margin = f"margin {entry['margin']:.4g}, " if "margin" in entry else ""
    own = "; the notebook's own question, not an essay claim" if source_of(entry) == "notebook" else ""
    return (
        f"claim {entry['id']}: {entry['verdict']}; {entry['treatment']['name']} - "
        f"{entry['baseline']['name']} = {effect:.4g} {entry['metric']} "
        f"(95% CI {low:.4g} to {high:.4g}, {margin}{len(entry['seeds'])} seeds{own})"
    )


def source_of(entry):
    """'essay' or 'notebook' (an entry written before the field existed is an essay claim)."""
    return entry.get("source", "essay")
