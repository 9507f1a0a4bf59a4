"""Every ``>>>`` example in minicnn's docstrings (module, class, function and method) runs and
prints what it says: one test case per docstring, named by its qualified name.

Each docstring runs as a reader would paste it into a fresh Python: in a namespace of its own
(its examples import what they use), after ``mc.manual_seed(0)`` and ``np.random.seed(0)``.
A module that needs an optional extra that is not installed is one skipped case that names the
extra; a docstring that uses CUDA is marked ``gpu`` (skipped where there is none). Nothing else
is skipped, and any other ImportError fails the collection.
"""

import doctest
import importlib
import io
import pkgutil
import re

import numpy as np
import pytest

import minicnn as mc
from minicnn import rng

# ``...`` for text that varies (addresses, long arrays) and any run of spaces for any other
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
# the import names of setup.cfg's optional extras (numba, gpu, data, viz, progress, dist, compare)
EXTRAS = set("numba threadpoolctl cupy mlxtend sklearn PIL matplotlib tqdm mpi4py torch".split())
CUDA = re.compile(r"""["']cuda["']|\.cuda\(""")


def _modules():
    """(name, module) for minicnn and every module below it; (name, extra) for one that needs an
    absent optional extra."""
    found, todo = [], ["minicnn"]
    while todo:
        name = todo.pop()
        try:
            module = importlib.import_module(name)
        except ImportError as e:
            extra = (e.name or "").split(".")[0]
            if extra not in EXTRAS:
                raise
            found.append((name, extra))
            continue
        found.append((name, module))
        if hasattr(module, "__path__"):
            todo += [f"{name}.{info.name}" for info in pkgutil.iter_modules(module.__path__)]
    return sorted(found, key=lambda pair: pair[0])


def _cases():
    finder = doctest.DocTestFinder()
    cases = []
    for name, module in _modules():
        if isinstance(module, str):
            reason = f"{name} needs the optional {module}, which is not installed"
            skip = pytest.mark.skip(reason=reason)
            cases.append(pytest.param(None, id=f"{name}-needs-{module}", marks=skip))
            continue
        # NOTE: globs={} so an example that forgets an import fails, as it would for a reader
        for test in finder.find(module, globs={}):
            if test.examples:
                gpu = any(CUDA.search(e.source) for e in test.examples)
                cases.append(pytest.param(test, id=test.name, marks=[pytest.mark.gpu] if gpu else []))
    return cases


CASES = _cases()


def _run(test):
    """(examples failed, doctest's report) of one docstring's examples, run on fresh globals."""
    report = io.StringIO()
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    test.globs = {}
    runner.run(test, out=report.write)
    return runner.failures, report.getvalue()


@pytest.fixture
def seeded():
    """Both generators seeded for the example, and put back as they were after it."""
    saved, saved_np = rng.get_state(), np.random.get_state()
    mc.manual_seed(0)
    np.random.seed(0)
    yield
    rng.set_state(saved)
    np.random.set_state(saved_np)


@pytest.mark.parametrize("test", CASES)
def test_docstring_example(test, seeded):
    # the numpy tier prints the same numbers as numba's, without compiling its kernels first
    with mc.use_kernels("numpy"):
        failed, report = _run(test)
    assert failed == 0, f"{failed} of {len(test.examples)} examples failed in {test.name}:\n{report}"


def test_the_runner_tells_right_from_wrong():
    parse = doctest.DocTestParser().get_doctest
    wrong = parse(">>> 1 + 1\n3\n", {}, "wrong", None, 0)
    failed, report = _run(wrong)
    assert failed == 1 and "Expected:\n    3\nGot:\n    2" in report
    loose = parse(">>> list(range(30))\n[0,   1, ..., 29]\n", {}, "loose", None, 0)
    assert _run(loose)[0] == 0  # ELLIPSIS and NORMALIZE_WHITESPACE are on
    unknown = parse(">>> np.zeros(1)\narray([0.])\n", {}, "unknown", None, 0)
    assert _run(unknown)[0] == 1  # no module's globals leak in


def test_the_engine_has_examples():
    names = {case.id for case in CASES}
    known = {"minicnn.tensor", "minicnn.summary", "minicnn.summary.summary", "minicnn.functional.conv.conv2d"}
    assert known <= names and len(names) > 100, sorted(names)
