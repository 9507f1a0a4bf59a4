"""benchmarks/across_records.py: a case's pair ratios pooled over records, on made-up records."""

import json

import numpy as np
import pytest
from bench_scripts import load


def record(model_pairs, layer_pairs):
    return {
        "models": [{"case": "lenet5", "ratio_train_pairs": model_pairs}],
        "layers": [{"case": "conv3x3_64", "ratio_forward_backward_pairs": layer_pairs}],
    }


def test_a_models_and_a_layers_pairs_are_read_with_their_default_modes():
    ar = load("across_records")
    r = record([0.9, 1.1], [1.3, 1.4, 1.2])
    assert ar.pair_ratios(r, "lenet5") == [0.9, 1.1]
    assert ar.pair_ratios(r, "conv3x3_64") == [1.3, 1.4, 1.2]
    with pytest.raises(ValueError, match="no pair ratios for lenet5 infer"):
        ar.pair_ratios(r, "lenet5", "infer")
    with pytest.raises(ValueError, match="no resnet20 row"):
        ar.pair_ratios(r, "resnet20")


def test_pooled_gives_the_median_the_count_under_one_and_an_interval_around_the_median():
    ar = load("across_records")
    pairs = np.random.default_rng(7).normal(0.97, 0.04, size=15)
    s = ar.pooled(pairs, draws=2000)
    assert s["pairs"] == 15 and s["median"] == pytest.approx(np.median(pairs))
    assert s["under_1"] == int((pairs < 1).sum())
    low, high = s["interval_95"]
    assert pairs.min() <= low <= s["median"] <= high <= pairs.max()
    assert ar.pooled(pairs, draws=2000) == s  # seeded: the same figures each time


def test_identical_pairs_have_an_interval_of_no_width():
    s = load("across_records").pooled([1.2] * 6, draws=500)
    assert s["interval_95"] == [1.2, 1.2] and s["under_1"] == 0


def test_the_command_pools_the_records_pairs(tmp_path, capsys):
    paths = []
    for i, pairs in enumerate(([0.9, 0.95], [1.02, 0.97, 0.93])):
        p = tmp_path / f"r{i}.json"
        p.write_text(json.dumps(record(pairs, [1.3])))
        paths.append(str(p))
    load("across_records").main(["--case", "lenet5", *paths])
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith("lenet5, 5 pairs of 2 records: median ratio 0.950, 95% interval ")
    assert last.endswith("4 pairs under 1.0")


def test_a_record_that_cannot_be_read_is_one_line(tmp_path):
    p = tmp_path / "r.json"
    p.write_text(json.dumps(record([0.9], [1.3])))
    with pytest.raises(SystemExit) as e:
        load("across_records").main(["--case", "resnet20", str(p)])
    assert str(e.value) == f"across_records: {p}: the record has no resnet20 row"


def test_draws_must_be_a_positive_count(tmp_path, capsys):
    p = tmp_path / "r.json"
    p.write_text(json.dumps(record([0.9], [1.3])))
    with pytest.raises(SystemExit):
        load("across_records").main(["--case", "lenet5", "--draws", "0", str(p)])
    assert "--draws: must be at least 1, got 0" in capsys.readouterr().err
