import pathlib

import numpy as np
import pytest

from minicnn import backend

FIXTURES = pathlib.Path(__file__).parent / "fixtures"
_golden = {}


def load_golden(family):
    """The arrays of tests/fixtures/<family>.npz, made once by PyTorch (see make_golden.py)."""
    if family not in _golden:
        with np.load(FIXTURES / f"{family}.npz") as f:
            _golden[family] = dict(f)
    return _golden[family]


@pytest.fixture
def golden():
    return load_golden


def pytest_collection_modifyitems(config, items):
    skip_gpu = pytest.mark.skip(reason="needs CuPy and an NVIDIA GPU")
    has_gpu = backend.cuda_available()
    try:
        import numba  # noqa: F401
        has_numba = True
    except ImportError:
        has_numba = False
    skip_numba = pytest.mark.skip(reason="needs the numba extra")
    for item in items:
        if item.get_closest_marker("gpu") and not has_gpu:
            item.add_marker(skip_gpu)
        if item.get_closest_marker("numba") and not has_numba:
            item.add_marker(skip_numba)
