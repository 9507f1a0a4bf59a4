"""README's Results table quotes the recorded runs: each figure there is read again from the
result files it names, so a new record cannot leave an old figure behind."""

import json
import pathlib
import statistics

import pytest

from minicnn.bench import system

ROOT = pathlib.Path(__file__).resolve().parents[2]
RESULTS = ROOT / "benchmarks" / "results"


def _readme_row(starts):
    rows = [line for line in (ROOT / "README.md").read_text().splitlines() if line.startswith(starts)]
    assert len(rows) == 1, (starts, rows)
    return rows[0]


def _record_named_in_readme():
    """The fair-bench record that README's Results section names."""
    text = (ROOT / "README.md").read_text()
    results = text[text.index("## Results") :]
    name = results.split("benchmarks/results/", 1)[1].split("`", 1)[0]
    return name, json.loads((RESULTS / name).read_text())


def test_the_training_rows_quote_readme_runs_json():
    jobs = json.loads((RESULTS / "readme-runs.json").read_text())["jobs"]
    lenet = jobs["lenet5"]
    row = _readme_row("| `python -m minicnn train lenet5`")
    assert f"test accuracy {lenet['test_accuracy']:.1%}" in row
    assert f"it prints `test accuracy: {lenet['test_accuracy']:.4f}`" in row
    assert f"validation accuracy {lenet['val_accuracy']:.2%}" in row
    assert f"{lenet['seconds']:.1f} s of training, {lenet['wall_seconds']:.1f} s for the whole command" in row
    torch = jobs["torch_lenet5_sgd"]
    assert f"| {torch['test_accuracy']:.1%} on the same 1,000 test images" in _readme_row("| for reference:")
    resnet = jobs["resnet20_shapes"]
    row = _readme_row(f"| `{resnet['command']}`")
    minutes, seconds = divmod(round(resnet["seconds"]), 60)
    assert f"test accuracy {resnet['test_accuracy']:.2%}" in row
    assert f"(validation {resnet['val_accuracy']:.2%} after the last epoch)" in row
    assert f"{minutes} min {seconds} s of training" in row


def _ms(seconds):
    return f"{1000 * seconds:.3g} ms"


CASES = {  # the record's case: (the row of README's Results, the row of the status tables, the target)
    "conv3x3_64": ("| conv 3x3 64->64", "| conv 3x3 64->64, fwd+bwd |", 1.0),
    "lenet5": ("| LeNet-5 training step", "| LeNet-5 step |", 1.0),
    "resnet20": ("| ResNet-20 training step", "| ResNet-20 step |", 1.0),
    "mobilenet_v1": ("| MobileNet v1 training step", "| MobileNet v1 step |", 1.5),
}
MEMORY_TARGET = 1.5


def _figures(record, case):
    """What the pages quote of one case: times, ratios over all and clear rounds, the pairs."""
    for kind, mode in (("layers", "forward_backward"), ("models", "train")):
        for entry in record[kind]:
            if entry["case"] == case:
                medians, probes = entry[f"round_medians_{mode}"], entry[f"two_threads_{mode}"]
                clear = system.clear_round_ratios(medians["a"], medians["b"], probes["a"], probes["b"])
                rounds = entry[f"ratio_{mode}_rounds"]
                return {
                    "ours": _ms(entry[mode]["median"]),
                    "theirs": _ms(entry[f"torch_{mode}"]["median"]),
                    "ratio": f"{entry[f'ratio_{mode}']:.2f}",
                    "rounds": f"{rounds['min']:.2f}-{rounds['max']:.2f}",
                    "n": rounds["n"],
                    "clear": f"{statistics.median(clear):.2f}" if clear else "-",  # none: all in spells
                    "n_clear": len(clear),
                    "pairs": entry[f"ratio_{mode}_pairs"],
                }
    raise AssertionError(f"no {case} in the record")


def verdict(pairs, target):
    """met: every pair of processes within the target; not met: every pair beyond it."""
    if max(pairs) <= target:
        return "met"
    return "not met" if min(pairs) > target else "not shown"


def test_the_speed_rows_quote_the_fair_bench_record_they_name():
    name, record = _record_named_in_readme()
    for case, (starts, _, _) in CASES.items():
        f = _figures(record, case)
        theirs = ("PyTorch's " if case == "lenet5" else "") + f["theirs"]
        pairs = f"{min(f['pairs']):.2f}-{max(f['pairs']):.2f}"
        clear = f"{f['clear']}x over {f['n_clear']} clear rounds" if f["n_clear"] else "no clear round"
        quoted = (
            f"| {f['ours']} against {theirs}; {clear} of {f['n']}, "
            f"{f['ratio']}x over all (rounds {f['rounds']}; pairs {pairs}) |"
        )
        assert quoted in _readme_row(starts), (name, case, quoted)
    memory = record["memory"]
    quoted = (
        f"| {memory['minicnn']['step_peak_mb']:.0f} MB against {memory['torch']['step_peak_mb']:.0f} MB; "
        f"{memory['ratio']:.2f}x |"
    )
    assert quoted in _readme_row("| peak memory of a ResNet-20 training step"), (name, quoted)


def _status_table(path, heading):
    """The record named first under ``heading`` in ``path``, and the table that follows it."""
    text = (ROOT / path).read_text()
    section = text[text.index(heading) :]
    name = section.split("cpu-fair-", 1)[1].split(".json", 1)[0]
    rows = section.split("\n\n| case |", 1)[1].split("\n\n", 1)[0].splitlines()
    return "cpu-fair-" + name, rows


TABLES = [("docs/performance.md", "### On 2 cores"), ("benchmarks/README.md", "## Where things stand")]


@pytest.mark.parametrize("path, heading", TABLES)
def test_the_status_tables_quote_their_record_and_follow_from_its_pairs(path, heading):
    name, rows = _status_table(path, heading)
    record = json.loads((RESULTS / f"{name}.json").read_text())
    for case, (_, starts, target) in CASES.items():
        f = _figures(record, case)
        (row,) = [r for r in rows if r.startswith(starts)]
        cells = [c.strip() for c in row.strip("|").split("|")]
        pairs = f"{min(f['pairs']):.2f}-{max(f['pairs']):.2f}"
        expected = [f"{f['ours']}, {f['theirs']}", f"{f['clear']} ({f['n_clear']} of {f['n']})"]
        expected += [
            f"{f['ratio']} [{f['rounds']}]",
            pairs,
            f"<= {target:.1f}: {verdict(f['pairs'], target)}",
        ]
        assert cells[1:] == expected, (path, name, case)
    memory = record["memory"]
    (row,) = [r for r in rows if r.startswith("| ResNet-20 step's peak memory")]
    cells = [c.strip() for c in row.strip("|").split("|")]
    mine, theirs = memory["minicnn"]["step_peak_mb"], memory["torch"]["step_peak_mb"]
    met = "met" if memory["ratio"] <= MEMORY_TARGET else "not met"
    expected = [
        f"{mine:.0f} MB, {theirs:.0f} MB",
        "-",
        f"{memory['ratio']:.2f}",
        "-",
        f"<= {MEMORY_TARGET}: {met}",
    ]
    assert cells[1:] == expected, (path, name)


def test_readme_and_the_status_tables_quote_one_record():
    name, _ = _record_named_in_readme()
    assert {_status_table(path, heading)[0] + ".json" for path, heading in TABLES} == {name}


def test_a_verdict_follows_from_the_pairs():
    assert verdict([0.67, 0.90], 1.5) == "met"
    assert verdict([1.24, 2.55], 1.0) == "not met"
    assert verdict([0.92, 1.09], 1.0) == "not shown"
    assert verdict([0.93, 1.0], 1.0) == "met"  # at the target is within it
