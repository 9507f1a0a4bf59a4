"""benchmarks/readme_runs.py: the README's training rows as recorded jobs."""

import pytest
from bench_scripts import load


def test_an_existing_record_is_not_replaced_without_overwrite(tmp_path):
    out = tmp_path / "readme-runs.json"
    out.write_text("{}")
    with pytest.raises(SystemExit, match="exists; give --overwrite"):
        load("readme_runs").main(["--out", str(out), "--skip-resnet"])
    assert out.read_text() == "{}"


def test_a_minicnn_job_is_read_from_the_metrics_its_run_folder_holds():
    job = load("readme_runs").run_minicnn(["lenet5", "--epochs", "1"])
    assert job["command"] == "python -m minicnn train lenet5 --epochs 1"
    assert job["model"] == "lenet5" and job["epochs"] == 1 and job["settings"]["seed"] == 0
    assert 0.5 < job["test_accuracy"] <= 1 and 0 < job["seconds"] < job["wall_seconds"]
