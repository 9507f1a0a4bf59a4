"""python -m minicnn summary: bad sizes, depths and class counts get one line before any arithmetic."""

import importlib

import pytest

from minicnn import models
from minicnn import no_grad as mc_no_grad
from minicnn.__main__ import main

summary_module = importlib.import_module("minicnn.summary")  # the package's `summary` is the function
memory_fit = importlib.import_module("minicnn.memory_fit")


def one_error_line(capsys):
    captured = capsys.readouterr()
    err = captured.err.strip().splitlines()
    assert len(err) == 1 and not captured.out, (err, captured.out)
    assert err[0].startswith("python -m minicnn summary: error: "), err
    return err[0]


@pytest.fixture
def one_gigabyte(monkeypatch):
    """The machine has 1 GB free, whatever this one has."""
    monkeypatch.setattr(memory_fit, "available_memory", lambda device="cpu": 2**30)


def test_a_long_thin_input_is_refused_without_running_anything(capsys, monkeypatch, one_gigabyte, rng):
    for module in (summary_module, memory_fit):
        monkeypatch.setattr(module, "run", lambda *a, **kw: pytest.fail("a forward pass was run"))
    side = int(rng.integers(10**9, 10**12))
    assert main(["summary", "lenet5", "--input", f"1,{side},1"]) == 2
    line = one_error_line(capsys)
    assert f"--input 1,{side},1: a forward pass on 1 x (1, {side}, 1) would hold about" in line
    assert line.endswith(
        "1.0 GB of memory available; not run; lenet5 was designed for images of shape (1, 28, 28)"
    )


def test_an_input_no_machine_could_hold_is_refused_in_one_line(capsys, rng):
    side = int(rng.integers(10**9, 10**18)) * 10**11  # past NumPy's largest array dimension
    assert main(["summary", "lenet5", "--input", f"1,{side},1"]) == 2
    line = one_error_line(capsys)
    assert "(counting the input alone)" in line and "not run" in line, line


@pytest.mark.parametrize("depth", ["0", "-1"])
def test_a_depth_below_one_is_a_usage_error(capsys, depth):
    assert main(["summary", "resnet20", "--depth", depth]) == 2
    assert f"argument --depth: must be at least 1, got {depth}" in one_error_line(capsys)


def test_every_depth_prints_the_whole_models_totals(capsys, rng):
    assert main(["summary", "resnet20"]) == 0
    totals = capsys.readouterr().out.splitlines()[-3:]
    assert "Total MACs: 40,551,040" in totals[1]
    depth = str(rng.integers(2, 6))
    assert main(["summary", "resnet20", "--depth", depth]) == 0
    assert capsys.readouterr().out.splitlines()[-3:-1] == totals[:2], depth


@pytest.mark.parametrize("classes", ["0", "-3", "ten"])
def test_a_class_count_below_one_is_a_usage_error(capsys, classes):
    assert main(["summary", "lenet5", "--num-classes", classes]) == 2
    assert "argument --num-classes:" in one_error_line(capsys)


def test_the_class_count_reaches_the_model(capsys, rng):
    classes = int(rng.integers(2, 10_000))
    assert main(["summary", "lenet5", "--num-classes", str(classes)]) == 0
    out = capsys.readouterr().out
    assert f"(1, {classes})" in out
    assert f"Total params: {61_706 + 85 * (classes - 10):,}" in out


def test_too_many_classes_are_refused_before_the_model_is_built(capsys, monkeypatch, one_gigabyte, rng):
    real_get = models.get

    def get(name, **kwargs):
        assert kwargs.get("num_classes", 0) <= 2, f"built {name} with {kwargs}"
        return real_get(name, **kwargs)

    monkeypatch.setattr(models, "get", get)
    classes = int(rng.integers(10**7, 10**8))  # the output fits in 1 GB, 85 weights a class do not
    assert main(["summary", "lenet5", "--num-classes", str(classes)]) == 2
    line = one_error_line(capsys)
    assert f"--num-classes {classes}: {classes:,} classes would give the model" in line
    assert line.endswith("not built"), line


def test_a_class_count_no_machine_could_hold_is_refused_at_once(capsys, monkeypatch, rng):
    monkeypatch.setattr(models, "get", lambda name, **kw: pytest.fail(f"built {name} with {kw}"))
    classes = int(rng.integers(10**14, 10**18))
    assert main(["summary", "vgg16", "--num-classes", str(classes)]) == 2
    line = one_error_line(capsys)
    assert f"--num-classes {classes}: " in line and "output alone would hold at least" in line


def test_an_input_the_model_cannot_take_names_the_flag_and_the_models_size(capsys):
    assert main(["summary", "lenet5", "--input", "3,32,32"]) == 2
    line = one_error_line(capsys)
    assert line.startswith(
        "python -m minicnn summary: error: --input 3,32,32: Conv2d at '0': x has 3 channel(s)"
    )
    assert line.endswith("lenet5 was designed for images of shape (1, 28, 28)")


def test_a_forward_pass_that_overflows_on_random_weights_warns_of_nothing():
    """A 1202-layer ResNet before training overflows; the summary reads shapes and counts."""
    import warnings

    from minicnn import nn

    layer = nn.Linear(8, 8)
    with mc_no_grad():
        layer.weight.fill_(1e30)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert "Total params: 72" in str(summary_module.summary(nn.Sequential(layer, layer), (8,)))


@pytest.mark.parametrize(
    "argv, says",
    [
        (
            ["--list", "lenet5"],
            "--list prints the model names and takes no model, --input, --depth or --num-classes "
            "(got lenet5): give --list alone, or summarize a model without --list",
        ),
        (
            ["lenet5", "--compare"],
            "--compare prints the classic-net table and takes no model, --input, --depth or "
            "--num-classes (got lenet5): give --compare alone, or summarize a model without --compare",
        ),
        (
            ["--compare", "--input", "1,32,32", "--num-classes", "5"],
            "--compare prints the classic-net table and takes no model, --input, --depth or "
            "--num-classes (got --input 1,32,32 --num-classes 5): give --compare alone, or "
            "summarize a model without --compare",
        ),
        (["--compare", "--list"], "--list and --compare: give one of them"),
    ],
)
def test_flags_that_ask_for_two_things_are_refused(argv, says, capsys):
    assert main(["summary", *argv]) == 2
    assert one_error_line(capsys).endswith(f"error: {says}")


def test_the_comparison_names_each_columns_model_and_input():
    """LeNet-5's column is the 1998 net on 32x32 images, not what ``summary lenet5`` shows."""
    from minicnn.compare import CLASSIC, built_as

    lines = built_as()
    assert len(lines) == 1 + len(CLASSIC)
    assert lines[1].split() == [
        "LeNet-5",
        'models.lenet5(variant="1998")',
        "at",
        "1x32x32;",
        "summary",
        "lenet5",
        "shows",
        "lenet5()",
        "at",
        "1x28x28",
    ]
    assert lines[3].split() == ["VGG-16", "models.vgg16()", "at", "3x224x224"]  # what summary vgg16 shows
    assert lines[4].endswith("at 3x224x224; summary googlenet shows googlenet() at 3x224x224")  # aux heads


def test_each_columns_call_builds_the_model_the_table_measures(monkeypatch):
    from minicnn import compare as compare_module

    calls = []
    for _, builder, _, _ in compare_module.CLASSIC:
        monkeypatch.setattr(models, builder, lambda b=builder, **kw: calls.append((b, kw)) or b)
    monkeypatch.setattr(compare_module, "describe", lambda name, model, size: (name, model, size))
    rows = compare_module.compare()
    assert calls == [(builder, kwargs) for _, builder, kwargs, _ in compare_module.CLASSIC]
    assert list(rows) == [(name, builder, size) for name, builder, _, size in compare_module.CLASSIC]


def test_summary_compare_prints_the_table_then_what_each_column_is(capsys, monkeypatch):
    from minicnn import compare as compare_module

    def compare(progress):
        progress("LeNet-5", 1, 2)
        progress("AlexNet", 2, 2)
        return "THE TABLE"

    monkeypatch.setattr(compare_module, "compare", compare)
    assert main(["summary", "--compare"]) == 0
    out, err = capsys.readouterr()
    assert out == "THE TABLE\n\n" + "\n".join(compare_module.built_as()) + "\n"
    # the nets take a while to build and run: a line on stderr as each is begun
    assert err == "summary --compare: LeNet-5 (1 of 2) ...\nsummary --compare: AlexNet (2 of 2) ...\n"


def test_compare_calls_progress_as_each_model_is_taken_up():
    from minicnn import nn
    from minicnn.compare import compare

    def net():
        return nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten(), nn.Linear(8, 2))

    seen = []
    rows = compare([("a", net, (1, 4, 4)), ("b", net(), (1, 4, 4))], progress=lambda *args: seen.append(args))
    assert seen == [("a", 1, 2), ("b", 2, 2)] and [r["model"] for r in rows] == ["a", "b"]


@pytest.mark.slow
def test_the_models_page_quotes_what_summary_compare_prints(capsys):
    import pathlib
    import re

    page = (pathlib.Path(__file__).parent.parent / "docs" / "models" / "index.md").read_text()
    quoted = re.search(r"What\s+it\s+prints:\n\n```text\n(.*?)```\n", page, re.DOTALL)
    assert quoted, "docs/models/index.md: no quoted output of summary --compare"
    assert main(["summary", "--compare"]) == 0
    assert capsys.readouterr().out == quoted.group(1)
