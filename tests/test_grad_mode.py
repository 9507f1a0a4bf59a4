"""Grad mode as PyTorch's: per thread, and no_grad / enable_grad / set_grad_enabled as
decorators bare or called, on plain and generator functions."""

import threading

import numpy as np
import pytest

import minicnn as mc


def leaf(rng):
    return mc.tensor(rng.standard_normal(3), requires_grad=True)


def test_a_thread_inside_no_grad_leaves_the_others_recording(rng):
    inside, release = threading.Event(), threading.Event()
    seen = {}

    def evaluate():
        with mc.no_grad():
            inside.set()
            release.wait(10)
            seen["thread"] = (mc.is_grad_enabled(), (leaf(rng) * 2).requires_grad)

    thread = threading.Thread(target=evaluate)
    thread.start()
    try:
        assert inside.wait(10)
        w = leaf(rng)
        y = (w * 2).sum()  # the main thread records while the other is in no_grad
        assert mc.is_grad_enabled() and y.requires_grad
    finally:
        release.set()
        thread.join()
    assert seen["thread"] == (False, False)
    y.backward()
    np.testing.assert_array_equal(w.grad.numpy(), [2.0, 2.0, 2.0])


def test_a_new_thread_starts_recording_whatever_the_mode_of_its_maker():
    seen = []
    with mc.no_grad():
        thread = threading.Thread(target=lambda: seen.append(mc.is_grad_enabled()))
        thread.start()
        thread.join()
    assert seen == [True]


@pytest.mark.parametrize("mode", [mc.no_grad, mc.enable_grad])
def test_the_bare_decorators_work_as_called_ones(rng, mode):
    @mode
    def double(t):
        """doubles"""
        return t * 2

    records = mode is mc.enable_grad
    with mc.no_grad():  # enable_grad shows itself inside no_grad
        assert double(leaf(rng)).requires_grad is records
    assert double(leaf(rng)).requires_grad is records
    assert double.__name__ == "double" and double.__doc__ == "doubles" and mc.is_grad_enabled()


def test_a_decorator_given_something_not_callable_says_so():
    with pytest.raises(TypeError, match=r"no_grad\(\) takes no arguments, or a function to decorate; got 3"):
        mc.no_grad(3)


DECORATORS = {
    "no_grad()": lambda: mc.no_grad(),
    "no_grad": lambda: mc.no_grad,
    # (off when made, and on again when it decorates)
    "set_grad_enabled(False)": lambda: mc.set_grad_enabled(False),
}


@pytest.mark.parametrize("decorator", DECORATORS.values(), ids=DECORATORS.keys())
def test_a_decorated_generator_runs_in_the_mode_and_hands_the_callers_back_at_each_yield(rng, decorator):
    modes = []

    @decorator()
    def batches(t):
        for i in range(2):
            modes.append(mc.is_grad_enabled())
            sent = yield t * i
            modes.append((sent, mc.is_grad_enabled()))
        return "done"

    it = batches(leaf(rng))
    first = next(it)
    assert mc.is_grad_enabled()  # the caller's mode between two yields
    second = it.send("a")
    with pytest.raises(StopIteration) as stop:
        it.send("b")
    assert stop.value.value == "done"
    assert not first.requires_grad and not second.requires_grad
    assert modes == [False, ("a", False), False, ("b", False)] and mc.is_grad_enabled()


def test_a_decorated_generator_gets_what_is_thrown_in_and_closes_in_its_mode():
    seen = []

    @mc.no_grad()
    def guarded():
        try:
            yield 1
        except ValueError:
            seen.append(("caught", mc.is_grad_enabled()))
            yield 2
        finally:
            seen.append(("closed", mc.is_grad_enabled()))

    it = guarded()
    assert next(it) == 1
    assert it.throw(ValueError("stop")) == 2
    it.close()
    assert seen == [("caught", False), ("closed", False)] and mc.is_grad_enabled()


def test_one_set_grad_enabled_object_entered_twice_sets_its_mode_each_time(rng):
    off = mc.set_grad_enabled(False)  # takes effect at the call, as in PyTorch
    with off:
        pass
    assert mc.is_grad_enabled()  # the exit restored the mode of the call
    with off:
        assert not mc.is_grad_enabled() and not (leaf(rng) * 2).requires_grad
    assert mc.is_grad_enabled()
