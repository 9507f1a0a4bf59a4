"""The message an exercise's failure says, shared by the tests that read it."""

import pytest

from minicnn import exercises


def failure(name, fn, **options):
    """The message of ``exercises.check(name, fn, **options)``'s failure."""
    with pytest.raises(exercises.ExerciseFailed) as info:
        exercises.check(name, fn, **options)
    return str(info.value)
