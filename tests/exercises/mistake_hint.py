"""The hint a known mistake fails with, shared by the mistake tests."""

import pytest

from minicnn import exercises


def hint(name, fn):
    with pytest.raises(exercises.ExerciseFailed) as info:
        exercises.check(name, fn, quick=True)
    message = str(info.value)
    assert "\n  hint: " in message, message
    return message.split("\n  hint: ")[1]
