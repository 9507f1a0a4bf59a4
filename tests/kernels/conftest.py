import pytest

from minicnn import kernels


@pytest.fixture
def auto_on_one_thread(monkeypatch):
    """The "auto" tier as a machine of 2 cores builds it (one copy thread), on any machine:
    there it takes the joint convolution gradients (kernels._auto_lends)."""
    monkeypatch.setenv("MINICNN_COPY_THREADS", "1")
    monkeypatch.setattr(kernels, "_sets", {k: v for k, v in kernels._sets.items() if k != "auto"})
