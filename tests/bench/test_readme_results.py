"""README's Results table quotes the recorded runs: each figure there is read again from the
result files it names, so a new record cannot leave an old figure behind."""

import json
import pathlib

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


def test_the_speed_rows_quote_the_fair_bench_record_they_name():
    name, record = _record_named_in_readme()
    cases = {m["case"]: (m, "train") for m in record["models"]}
    cases.update({layer["case"]: (layer, "forward_backward") for layer in record["layers"]})
    rows = {
        "lenet5": "| LeNet-5 training step",
        "resnet20": "| ResNet-20 training step",
        "mobilenet_v1": "| MobileNet v1 training step",
        "conv3x3_64": "| conv 3x3 64->64",
    }
    for case, starts in rows.items():
        entry, mode = cases[case]
        rounds = entry[f"ratio_{mode}_rounds"]
        ours, theirs = _ms(entry[mode]["median"]), _ms(entry[f"torch_{mode}"]["median"])
        quoted = f"{ours} against {'PyTorch' + chr(39) + 's ' if case == 'lenet5' else ''}{theirs}"
        quoted += f"; {entry[f'ratio_{mode}']:.2f}x (rounds {rounds['min']:.2f}-{rounds['max']:.2f}"
        assert quoted in _readme_row(starts), (name, case, quoted)
