"""The ``>>>`` examples in the engine's docstrings run and print what they say."""

import doctest
import importlib
import pkgutil

import pytest

import minicnn
import minicnn.functional
import minicnn.kernels
import minicnn.nn

MODULES = (
    [
        "minicnn.tensor",
        "minicnn.autograd",
        "minicnn.hooks",
        "minicnn.node",
        "minicnn.grad_mode",
        "minicnn.inference",
        "minicnn.backend",
        "minicnn.gradcheck",
        "minicnn.compare",
    ]
    + [
        f"{package.__name__}.{info.name}"
        for package in (minicnn.functional, minicnn.kernels, minicnn.nn)
        for info in pkgutil.iter_modules(package.__path__)
    ]
    + ["minicnn.functional", "minicnn.kernels", "minicnn.nn"]
)
NEEDS = {"minicnn.kernels.numba_cpu": "numba"}


@pytest.mark.parametrize("name", sorted(MODULES))
def test_docstring_examples(name):
    if name in NEEDS:
        pytest.importorskip(NEEDS[name])
    module = importlib.import_module(name)
    with minicnn.use_kernels("numpy"):  # the examples name the numpy tier's kernels
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"


def test_the_engine_has_examples():
    counts = {}
    for name in (
        "minicnn.tensor",
        "minicnn.kernels",
        "minicnn.functional.conv",
        "minicnn.functional.pooling",
        "minicnn.functional.norm",
        "minicnn.backend",
    ):
        finder = doctest.DocTestFinder()
        counts[name] = sum(len(t.examples) for t in finder.find(importlib.import_module(name)))
    assert all(counts.values()), counts
