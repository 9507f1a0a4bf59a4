"""The claims ledger: its statistics, and the committed notebooks/claims.json with the lines quoting it."""

import importlib.util
import json
import math
import pathlib

import numpy as np
import pytest

NOTEBOOKS = pathlib.Path(__file__).resolve().parent.parent / "notebooks"

REQUIRED = (
    "relu_faster_than_tanh",
    "dropout_reduces_overfitting",
    "augmentation_helps",
    "lrn_helps",
    "lrn_vs_constant_scale",
    "overlapping_pool_helps",
    "deeper_plain_degrades",
    "residual_fixes_degradation",
    "batchnorm_trains_faster",
    "batchnorm_allows_higher_lr",
    "finetune_beats_scratch_few_labels",
    "deep_features_beat_handcrafted",
    "leaky_relu_fewer_dead_units",
    "dropconnect_vs_dropout",
    "bn_before_vs_after_relu",
    "highway_vs_residual",
    "depthwise_separable_cheaper",
    "resnet1202_trains",
    "lenet_vs_classical",
)


@pytest.fixture(scope="module")
def ledger():
    spec = importlib.util.spec_from_file_location("ledger", NOTEBOOKS / "ledger.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_t_quantiles_match_the_table_and_the_normal_limit(ledger):
    assert ledger.t975(4) == pytest.approx(2.776)
    # the expansion used between table entries agrees with the table where both exist
    z = 1.959964
    expansion = lambda df: z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)
    assert expansion(30) == pytest.approx(ledger.t975(30), abs=1e-3)
    assert ledger.t975(10_000) == pytest.approx(1.96, abs=1e-3)
    with pytest.raises(ValueError, match="degree"):
        ledger.t975(0)


def test_paired_interval_by_hand(ledger):
    base, treat = [10.0, 12.0, 11.0], [7.0, 10.0, 7.0]  # differences -3, -2, -4
    effect, (low, high) = ledger.paired_interval(base, treat)
    half = 4.303 * 1.0 / math.sqrt(3)  # sd of (-3, -2, -4) is 1
    assert effect == pytest.approx(-3.0)
    assert (low, high) == pytest.approx((-3.0 - half, -3.0 + half))


def test_pairing_removes_the_between_seed_spread(ledger):
    rng = np.random.default_rng(11)
    seed_level = rng.normal(0, 10, size=5)  # large differences between seeds
    base, treat = seed_level, seed_level - 1.0 + rng.normal(0, 0.01, size=5)
    _, ci95 = ledger.paired_interval(base, treat)
    assert ledger.verdict(ci95, "treatment_lower") == "shown"


@pytest.mark.parametrize(
    "ci95, expected, verdict",
    [
        ((-3.0, -1.0), "treatment_lower", "shown"),
        ((1.0, 3.0), "treatment_lower", "reversed"),
        ((-1.0, 1.0), "treatment_lower", "not shown"),
        ((1.0, 3.0), "treatment_higher", "shown"),
        ((-3.0, -1.0), "treatment_higher", "reversed"),
        ((0.0, 2.0), "treatment_higher", "not shown"),
    ],
)
def test_verdict_follows_from_the_interval(ledger, ci95, expected, verdict):
    assert ledger.verdict(ci95, expected) == verdict


@pytest.mark.parametrize(
    "ci95, expected, verdict",
    [
        # lower is better: shown when the high end is at most the margin, reversed when the low end is past it
        ((-2.0, 0.5), "treatment_not_higher", "shown"),
        ((-0.2, 1.0), "treatment_not_higher", "shown"),  # high end on the margin
        ((-0.2, 1.0001), "treatment_not_higher", "not shown"),
        ((0.5, 3.0), "treatment_not_higher", "not shown"),  # worse, but maybe by less than the margin
        ((1.0, 3.0), "treatment_not_higher", "not shown"),  # low end on the margin: not wholly past it
        ((1.0001, 3.0), "treatment_not_higher", "reversed"),
        ((-5.0, -3.0), "treatment_not_higher", "shown"),  # far better passes too
        # higher is better: the mirror image
        ((-0.5, 2.0), "treatment_not_lower", "shown"),
        ((-1.0, 0.2), "treatment_not_lower", "shown"),  # low end on the margin
        ((-1.0001, 0.2), "treatment_not_lower", "not shown"),
        ((-3.0, -0.5), "treatment_not_lower", "not shown"),
        ((-3.0, -1.0), "treatment_not_lower", "not shown"),  # high end on the margin
        ((-3.0, -1.0001), "treatment_not_lower", "reversed"),
        ((3.0, 5.0), "treatment_not_lower", "shown"),
    ],
)
def test_as_good_as_verdict_follows_from_the_interval_and_the_margin(ledger, ci95, expected, verdict):
    assert ledger.verdict(ci95, expected, margin=1.0) == verdict


def test_the_margin_scales_the_verdict(ledger):
    assert ledger.verdict((-0.2, 1.5), "treatment_not_higher", margin=1.0) == "not shown"
    assert ledger.verdict((-0.2, 1.5), "treatment_not_higher", margin=2.0) == "shown"
    assert ledger.verdict((-1.5, 0.2), "treatment_not_lower", margin=2.0) == "shown"


def test_a_margin_is_required_positive_for_as_good_as_and_refused_elsewhere(ledger):
    kwargs = dict(
        notebook="x", essay="e", setup="s", metric="m", baseline=("a", [1, 2, 3]), treatment=("b", [1, 2, 3])
    )
    for expected in ("treatment_not_higher", "treatment_not_lower"):
        for margin in (None, 0, 0.0, -1.0, float("nan"), float("inf"), True, "1"):
            with pytest.raises(ValueError, match="margin"):
                ledger.make_entry("c", expected=expected, margin=margin, **kwargs)
            with pytest.raises(ValueError, match="margin"):
                ledger.verdict((-1.0, 1.0), expected, margin)
    for expected in ("treatment_lower", "treatment_higher"):
        with pytest.raises(ValueError, match="takes no margin"):
            ledger.make_entry("c", expected=expected, margin=1.0, **kwargs)
        with pytest.raises(ValueError, match="takes no margin"):
            ledger.verdict((-1.0, 1.0), expected, 1.0)
        assert "margin" not in ledger.make_entry("c", expected=expected, **kwargs)
    with pytest.raises(ValueError, match="expected must be one of"):
        ledger.verdict((-1.0, 1.0), "treatment_same", 1.0)


def test_an_as_good_as_entry_stores_and_prints_its_margin(ledger):
    kwargs = dict(notebook="x", essay="e", setup="s", metric="m")
    entry = ledger.make_entry(
        "c",
        baseline=("a", [1.0, 2.0, 3.0]),
        treatment=("b", [1.5, 2.25, 3.5]),
        expected="treatment_not_higher",
        margin=1,
        why_not_shown={"not shown": "too wide", "reversed": "worse"},
        **kwargs,
    )
    assert entry["margin"] == 1.0 and isinstance(entry["margin"], float)
    low, high = entry["ci95"]
    assert entry["verdict"] == ledger.verdict((low, high), "treatment_not_higher", 1.0)
    assert ledger.describe(entry) == (
        f"claim c: {entry['verdict']}; b - a = 0.4167 m (95% CI {low:.4g} to {high:.4g}, margin 1, 3 seeds)"
    )


def test_entries_refuse_chosen_seeds_and_unpaired_values(ledger):
    kwargs = dict(notebook="x", essay="e", setup="s", metric="m", expected="treatment_lower")
    with pytest.raises(ValueError, match="seeds must be 0..n-1"):
        ledger.make_entry(
            "c", baseline=("a", [1, 2, 3]), treatment=("b", [0, 1, 2]), seeds=[0, 2, 5], **kwargs
        )
    with pytest.raises(ValueError, match="equal lengths"):
        ledger.make_entry("c", baseline=("a", [1, 2, 3]), treatment=("b", [0, 1]), **kwargs)


def test_describe_prints_a_rounding_only_difference_as_zero(ledger):
    kwargs = dict(notebook="x", essay="e", setup="s", metric="m", expected="treatment_lower")
    # 0.1 + 0.2 - 0.3 is 5.6e-17, not 0: equal arms must not print as an effect
    same = ledger.make_entry(
        "c", baseline=("a", [0.3, 0.5, 0.4]), treatment=("b", [0.1 + 0.2, 0.5, 0.4]), **kwargs
    )
    assert same["effect"] != 0
    assert " = 0 m (95% CI" in ledger.describe(same)
    real = ledger.make_entry(
        "c", baseline=("a", [1.0, 2.0, 3.0]), treatment=("b", [1.5, 2.25, 3.5]), **kwargs
    )
    assert " = 0.4167 m (95% CI" in ledger.describe(real)


def test_a_reason_per_verdict_keeps_the_one_that_came_out(ledger):
    kwargs = dict(notebook="x", essay="e", setup="s", metric="m", expected="treatment_higher")
    why = {"not shown": "no better", "reversed": "worse"}
    worse = ledger.make_entry(
        "c", baseline=("a", [5.0, 6.0, 7.0]), treatment=("b", [1.0, 2.1, 2.9]), why_not_shown=why, **kwargs
    )
    tie = ledger.make_entry(
        "c", baseline=("a", [5.0, 6.0, 7.0]), treatment=("b", [6.0, 5.0, 7.1]), why_not_shown=why, **kwargs
    )
    better = ledger.make_entry(
        "c", baseline=("a", [1.0, 2.1, 2.9]), treatment=("b", [5.0, 6.0, 7.0]), why_not_shown=why, **kwargs
    )
    assert (worse["verdict"], worse["why_not_shown"]) == ("reversed", "worse")
    assert (tie["verdict"], tie["why_not_shown"]) == ("not shown", "no better")
    assert better["verdict"] == "shown" and "why_not_shown" not in better


def test_a_notebooks_own_question_is_labelled_as_such(ledger):
    """An entry for a question of the notebook's own (not the essay's) says so in its line."""
    kwargs = dict(notebook="x", essay="e", setup="s", metric="m", expected="treatment_lower")
    values = dict(baseline=("a", [3.0, 4.0, 5.0]), treatment=("b", [1.0, 2.5, 2.0]))
    essay = ledger.make_entry("c", **values, **kwargs)
    own = ledger.make_entry("c", source="notebook", **values, **kwargs)
    assert essay["source"] == "essay" and own["source"] == "notebook"
    assert "own question" not in ledger.describe(essay)
    assert ledger.describe(own).endswith("3 seeds; the notebook's own question, not an essay claim)")
    assert ledger.describe(own).startswith(ledger.describe(essay)[:-1])
    # an entry written before the field existed reads as an essay claim
    old = {k: v for k, v in essay.items() if k != "source"}
    assert ledger.source_of(old) == "essay" and ledger.describe(old) == ledger.describe(essay)
    with pytest.raises(ValueError, match="source must be one of"):
        ledger.make_entry("c", source="paper", **values, **kwargs)


def test_fast_runs_write_a_scratch_ledger(ledger, tmp_path, monkeypatch):
    monkeypatch.setenv("MINICNN_FAST", "1")
    monkeypatch.setenv("MINICNN_LEDGER", str(tmp_path / "scratch.json"))
    entry = ledger.record(
        "c",
        notebook="x",
        essay="e",
        setup="s",
        metric="m",
        baseline=("a", [3, 4, 5]),
        treatment=("b", [1, 2, 2]),
        expected="treatment_lower",
    )
    assert ledger.ledger_path() != ledger.LEDGER
    assert json.loads((tmp_path / "scratch.json").read_text()) == [entry]
    again = ledger.record(
        "c",
        notebook="x",
        essay="e",
        setup="s",
        metric="m",
        baseline=("a", [3, 4, 5]),
        treatment=("b", [4, 5, 6]),
        expected="treatment_lower",
    )
    assert ledger.load() == [again] and again["verdict"] == "reversed"


def test_a_diverged_runs_nan_is_written_as_null(ledger, tmp_path, monkeypatch):
    """Strict JSON has no NaN: an extra value of a diverged run is written as null."""
    monkeypatch.setenv("MINICNN_FAST", "1")
    monkeypatch.setenv("MINICNN_LEDGER", str(tmp_path / "claims.json"))
    kwargs = dict(notebook="x", essay="e", setup="s", metric="m", expected="treatment_lower")
    extra = {"accuracy": [90.0, float("nan"), float("inf")]}
    ledger.record(
        "c", baseline=("a", [1.0, 2.0, 3.0]), treatment=("b", [0.0, 1.0, 2.5]), extra=extra, **kwargs
    )
    text = (tmp_path / "claims.json").read_text()
    assert "NaN" not in text and "Infinity" not in text
    assert json.loads(text)[0]["extra"] == {"accuracy": [90.0, None, None]}


# --- the committed ledger -------------------------------------------------------------------


def _committed():
    path = NOTEBOOKS / "claims.json"
    assert path.exists(), "notebooks/claims.json is missing: run `python notebooks/run_all.py`"

    def refuse(constant):
        raise ValueError(f"claims.json holds {constant}, which strict JSON readers refuse")

    return json.loads(path.read_text(), parse_constant=refuse)


def test_committed_ledger_holds_every_required_claim():
    ids = [e["id"] for e in _committed()]
    assert len(ids) == len(set(ids)), "a claim id appears twice"
    missing = sorted(set(REQUIRED) - set(ids))
    assert not missing, f"claims.json lacks {missing}"


# the questions a notebook asks itself, which no essay sentence makes
OWN_QUESTIONS = ("lrn_vs_constant_scale", "highway_vs_residual")


def test_committed_own_questions_are_labelled(ledger):
    entries = {e["id"]: e for e in _committed()}
    for e in entries.values():
        assert ledger.source_of(e) in ledger.SOURCES, e["id"]
    for claim in OWN_QUESTIONS:
        assert ledger.source_of(entries[claim]) == "notebook", claim


AS_GOOD_AS = ("lenet_vs_rbf_svm", "leaky_relu_accuracy", "dropconnect_vs_dropout")  # the essay's "as good"


def test_committed_as_good_as_claims_are_read_against_the_margin(ledger):
    """A claim that one method is as good as another is not shown by an interval that merely
    holds 0: each is a non-inferiority entry with the course's one margin."""
    entries = {e["id"]: e for e in _committed()}
    for claim in AS_GOOD_AS:
        assert entries[claim]["expected"] in ledger.NEEDS_MARGIN, claim
        assert entries[claim]["margin"] == ledger.AS_GOOD_AS_MARGIN, claim


def test_committed_entries_are_consistent(ledger):
    for e in _committed():
        base, treat = e["baseline"]["values"], e["treatment"]["values"]
        assert e["seeds"] == list(range(len(base))) and len(base) == len(treat) >= 3, e["id"]
        effect, ci95 = ledger.paired_interval(base, treat)
        assert e["effect"] == pytest.approx(effect, rel=1e-9, abs=1e-12), e["id"]
        assert e["ci95"] == pytest.approx(list(ci95), rel=1e-9, abs=1e-12), e["id"]
        # an "as good as" entry carries its margin, the course's one margin; no other entry has one
        assert ("margin" in e) == (e["expected"] in ledger.NEEDS_MARGIN), e["id"]
        if "margin" in e:
            assert e["margin"] == ledger.AS_GOOD_AS_MARGIN, e["id"]
        assert e["verdict"] == ledger.verdict(ci95, e["expected"], e.get("margin")), e["id"]
        if e["verdict"] != "shown":
            assert e.get("why_not_shown"), f"{e['id']}: a claim not shown says why"
        assert (NOTEBOOKS / f"{e['notebook']}.ipynb").exists(), e["id"]


def test_notebooks_quote_the_ledger():
    """Every `claim ID: ...` line a committed notebook printed equals the ledger's line for ID."""
    import nbformat

    spec = importlib.util.spec_from_file_location("ledger", NOTEBOOKS / "ledger.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    lines = {e["id"]: module.describe(e) for e in _committed()}
    quoted = set()
    for path in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            for out in cell.get("outputs", []):
                text = out.get("text", "") or out.get("data", {}).get("text/plain", "")
                text += out.get("data", {}).get("text/markdown", "")
                for line in text.splitlines():
                    if line.startswith("claim "):
                        claim_id = line.split(":")[0][len("claim ") :]
                        assert line == lines.get(claim_id), f"{path.name} quotes {line!r}"
                        quoted.add(claim_id)
    assert quoted == set(lines), f"claims never quoted: {sorted(set(lines) - quoted)}"
