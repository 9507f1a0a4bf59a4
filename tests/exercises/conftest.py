"""What the exercise tests share."""

import textwrap

import pytest

from minicnn.exercises import registry


@pytest.fixture
def kept_registry():
    """The exercises as they were before the test, after it: what it registers, and the files of
    exercises it loads, are gone."""
    with registry.restoring():
        yield


@pytest.fixture
def student_file(tmp_path):
    """student_file(text, name="mine.py"): the student's file, its text dedented; returns its path."""

    def write(text, name="mine.py"):
        path = tmp_path / name
        path.write_text(textwrap.dedent(text))
        return str(path)

    return write
