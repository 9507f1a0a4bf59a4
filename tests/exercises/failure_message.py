"""The message an exercise's failure says, shared by the message tests."""

import pytest

from minicnn import exercises


def failure(name, fn):
    with pytest.raises(exercises.ExerciseFailed) as info:
        exercises.check(name, fn)
    return str(info.value)
