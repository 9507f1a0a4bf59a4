"""What the exercise tests share."""

import pytest

from minicnn.exercises import registry


@pytest.fixture
def kept_registry():
    """The exercises as they were before the test, after it: what it registers, and the files of
    exercises it loads, are gone."""
    with registry.restoring():
        yield
