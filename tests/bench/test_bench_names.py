"""The bench's names as a user reads and types them: every case and tier listed whole in
--help, the kernel tiers train takes, and a misspelt name answered with the closest one."""

import re

import pytest

from minicnn import backend
from minicnn.bench import __main__ as bench_main
from minicnn.bench import cases, report
from minicnn.cli_common import KERNELS

PREFIX = "python -m minicnn bench: error: "
LAYERS = [c["name"] for c in cases.LAYERS]


def _help_lines(monkeypatch, columns):
    monkeypatch.setenv("COLUMNS", str(columns))
    return bench_main.parser().format_help().splitlines()


@pytest.mark.parametrize("columns", [60, 80, 100])
def test_no_listed_name_is_split_across_lines(columns, monkeypatch):
    lines = _help_lines(monkeypatch, columns)
    words = {w for line in lines for w in re.findall(r"[\w-]+", line)}
    for name in LAYERS + list(cases.MODELS) + list(bench_main.TIERS):
        assert name in words, (name, columns)


def test_the_help_lists_names_with_a_space_after_each_comma(monkeypatch):
    text = " ".join(line.strip() for line in _help_lines(monkeypatch, 80))
    assert f"from {', '.join(LAYERS)}" in text
    assert f"from {', '.join(cases.MODELS)}" in text
    assert "a comma list of reference, numpy-simple, numpy, numba, auto (default:" in text


def test_bench_takes_every_tier_train_takes():
    assert bench_main.TIERS is backend.KERNEL_TIERS and sorted(KERNELS) == sorted(bench_main.TIERS)
    for tier in KERNELS:
        if tier == "numba" and not backend.numba_available():
            continue
        opts = bench_main.options(["--kernels", tier, "--layers", "relu", "--models", "none", "--quick"])
        assert opts["tiers"] == [tier]


def test_numpy_simple_is_timed_and_its_rows_keep_the_columns(rng):
    opts = bench_main.options(
        [
            "--kernels",
            "numpy-simple,numpy",
            "--layers",
            "relu",
            "--models",
            "none",
            "--quick",
            "--device",
            "cpu",
        ]
    )
    opts["repeats"], opts["budget"] = 1, 0.01
    result = bench_main.runner.run(opts)
    assert [r["tier"] for r in result["layers"]] == ["numpy-simple", "numpy"]
    assert all("error" not in r for r in result["layers"])
    head, _, *rows = report.layer_table(result["layers"])
    for row in rows:  # each column starts where its heading does
        assert row.index(" cpu ") + 1 == head.index("dev"), (head, row)
    model = {"case": "lenet5", "tier": "numpy-simple", "device": "cpu", "batch": 2, "error": "x"}
    head, _, row = report.model_table([model])
    assert row.index(" cpu ") + 1 == head.index("dev")


@pytest.mark.parametrize(
    "argv, says",
    [
        (["--layers", "rellu"], "unknown layers rellu (did you mean relu?); known: conv3x3_64, "),
        (
            ["--models", "resnet2,vgg", "--layers", "none"],
            "unknown models resnet2 (did you mean resnet20?), vgg; known: lenet5, ",
        ),
        (["--kernels", "numpy_simple"], "unknown tiers numpy_simple (did you mean numpy-simple?); known: "),
        (["--kernels", "fast"], "unknown tiers fast; known: reference, numpy-simple, numpy, numba, auto"),
    ],
)
def test_a_misspelt_name_is_refused_with_the_closest(argv, says, capsys, monkeypatch):
    ran = []
    monkeypatch.setattr(bench_main.runner, "run", ran.append)
    assert bench_main.main(["--quick", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith(PREFIX + says) and err.count("\n") == 1, err
    assert ran == []
