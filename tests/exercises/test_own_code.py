"""The own-code rule watches the graded call and the threads it starts, and nothing after it."""

import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

import minicnn.functional as F
from minicnn import exercises
from minicnn.tensor import tensor


def _conv(x, w, b, stride, padding):
    return F.conv2d(tensor(x), tensor(w), tensor(b), stride=stride, padding=padding).numpy()


def test_library_code_on_a_thread_the_call_starts_is_caught():
    def conv2d_forward(x, w, b, stride, padding):
        out = []
        worker = threading.Thread(target=lambda: out.append(_conv(x, w, b, stride, padding)))
        worker.start()
        worker.join()
        return out[0]

    with pytest.raises(exercises.ExerciseFailed, match=r"conv2d_forward called library code on case 1 of 6"):
        exercises.check("conv2d_forward", conv2d_forward, own_code=True)


def test_library_code_in_a_pool_whose_thread_the_call_starts_is_caught():
    with ThreadPoolExecutor(1) as pool:  # made before the call; its thread starts with the first task

        def conv2d_forward(x, w, b, stride, padding):
            return pool.submit(_conv, x, w, b, stride, padding).result()

        with pytest.raises(exercises.ExerciseFailed, match=r"conv2d_forward called library code"):
            exercises.check("conv2d_forward", conv2d_forward, own_code=True)


def test_the_hook_is_gone_after_the_call_from_every_thread():
    """The threads started later are not watched, and a thread the call started and left running
    drops the hook at its next step."""
    go, seen, started = threading.Event(), [], []

    def later():
        go.wait()
        seen.append(sys.getprofile())

    def sigmoid_backward(gy, y):
        if not started:
            started.append(threading.Thread(target=later, daemon=True))
            started[0].start()
        return gy * y * (1 - y)

    before = threading.getprofile(), sys.getprofile()
    exercises.check("sigmoid_backward", sigmoid_backward, own_code=True)
    assert (threading.getprofile(), sys.getprofile()) == before
    go.set()
    started[0].join(timeout=10)
    assert seen == [None]
