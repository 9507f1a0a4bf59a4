"""Importing minicnn sets glibc's malloc thresholds so that memory a step frees serves the
next step without page faults; a user's own MALLOC_* setting stands."""

import os
import subprocess
import sys

import pytest

from minicnn.kernels import malloc

# A "step" that allocates four 1.2 MB arrays and frees them all: at glibc's defaults the
# 4.8 MB then free at the top of the heap is more than twice the largest block freed so
# far, so glibc gives it back and the next step faults every page in again.
STEP_FAULTS = """
import resource, sys
import numpy as np
if sys.argv[1] == "minicnn":
    import minicnn
    from minicnn import kernels
    print(kernels.FREED_MEMORY_KEPT)
else:
    print(None)
def faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt
def step():
    arrays = [np.ones(300_000, np.float32) for _ in range(4)]
    del arrays
for _ in range(3):
    step()
before = faults()
for _ in range(10):
    step()
print((faults() - before) / 10)
"""

needs_glibc = pytest.mark.skipif(not malloc.glibc(), reason="glibc's malloc only")


def _run(library, **env):
    environ = {k: v for k, v in os.environ.items() if k not in malloc.VARIABLES}
    out = subprocess.run(
        [sys.executable, "-c", STEP_FAULTS, library],
        env={**environ, **env},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return out[0], float(out[1])


@needs_glibc
def test_a_step_that_faults_at_glibcs_defaults_does_not_after_importing_minicnn():
    kept, faults_numpy = _run("numpy")
    assert faults_numpy > 4 * 200  # most of the four arrays' 293 pages each
    kept, faults_minicnn = _run("minicnn")
    assert kept == "True"
    assert faults_minicnn < 10


@needs_glibc
@pytest.mark.parametrize("variable", malloc.VARIABLES)
def test_a_users_malloc_variable_stands(variable):
    """With either variable set (here to glibc's starting values), minicnn sets nothing."""
    value = {"MALLOC_MMAP_THRESHOLD_": "131072", "MALLOC_TRIM_THRESHOLD_": "131072"}[variable]
    kept, faults = _run("minicnn", **{variable: value})
    assert kept == "False"
    assert faults > 4 * 200


def test_nothing_is_set_where_a_variable_is_set_or_the_library_is_not_glibc(monkeypatch):
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "131072")
    assert malloc.keep_freed_memory() is False
    assert "MALLOC_TRIM_THRESHOLD_" in malloc.describe(False)
    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_")
    monkeypatch.setattr(malloc, "glibc", lambda: False)
    assert malloc.keep_freed_memory() is False
    assert "not glibc" in malloc.describe(False)


def test_the_record_line_names_the_thresholds():
    assert malloc.describe(True) == (
        "glibc malloc thresholds set at import (kernels/malloc.py): mmap 32 MiB, trim 64 MiB"
    )
