"""mc.inference_mode and inference tensors, as PyTorch 2.13's (each behaviour checked there: which
tensors are inference tensors, what the mode does to the grad mode, and the three refusals)."""

import threading

import numpy as np
import pytest

import minicnn as mc
import minicnn.nn.functional as F

SAVED = "is an inference tensor (made under mc.inference_mode()), which {} would keep for the gradient"


def leaf(rng, shape=3):
    return mc.tensor(rng.standard_normal(shape), requires_grad=True)


def test_tensors_made_inside_are_inference_tensors_and_record_nothing(rng):
    w, normal = leaf(rng), mc.tensor(rng.standard_normal(3))
    with mc.inference_mode():
        assert mc.is_inference_mode_enabled() and not mc.is_grad_enabled()
        made, y, x = mc.zeros(3), w * 2, mc.tensor([1.0, 2.0])
        view_of_normal = normal[:2]
    assert made.is_inference() and y.is_inference() and x.is_inference()
    assert not y.requires_grad and y.grad_fn is None
    assert not view_of_normal.is_inference()  # as PyTorch: a view is what its base is
    assert not mc.is_inference_mode_enabled() and mc.is_grad_enabled()
    assert not w.is_inference() and not normal.is_inference()


def test_no_grad_makes_normal_tensors(rng):
    with mc.no_grad():
        assert not (leaf(rng) * 2).is_inference()


def test_views_and_detach_of_an_inference_tensor_are_inference_tensors_results_are_not(rng):
    with mc.inference_mode():
        x = mc.tensor(rng.standard_normal((2, 3)))
    for view in (x[0], x.T, x.reshape(6), x.detach(), x.unsqueeze(0)):
        assert view.is_inference()
    for result in (x * 2, x.exp(), x + mc.ones(2, 3, dtype=mc.float64), x.clone()):
        assert not result.is_inference()


@pytest.mark.parametrize(
    "op, name, i",
    [
        (lambda w, x: w * x, "Mul", 1),
        (lambda w, x: x * w.exp(), "Mul", 0),
        (lambda w, x: x @ w, "MatMul", 0),
        (lambda w, x: F.linear(x[None], w[None]), "Linear", 0),
    ],
    ids=["w * x", "x * exp(w)", "x @ w", "linear"],
)
def test_an_op_that_would_keep_an_inference_tensor_for_backward_is_refused(rng, op, name, i):
    w = leaf(rng)
    with mc.inference_mode():
        x = mc.tensor(rng.standard_normal(3))
    with pytest.raises(
        RuntimeError,
        match=rf"^{name}: input {i} {SAVED.format(name)}".replace("(", r"\(").replace(")", r"\)"),
    ):
        op(w, x)
    y = op(w, x.clone())  # a normal copy is taken
    assert y.requires_grad and not y.is_inference()
    with mc.no_grad():
        op(w, x)  # and nothing is recorded without grad


def test_an_op_that_keeps_nothing_of_it_is_taken_and_its_gradient_is_right(rng):
    w = leaf(rng)
    with mc.inference_mode():
        x = mc.tensor(rng.standard_normal(3))
    y = (w + x).sum() + mc.cat([w, x]).sum() + (x.relu() + w).sum()
    assert not y.is_inference()
    y.backward()
    np.testing.assert_array_equal(w.grad.numpy(), np.full(3, 3.0))


@pytest.mark.parametrize(
    "write, name",
    [
        (lambda x: x.add_(1), "add_()"),
        (lambda x: x.__iadd__(1), r"\+="),
        (lambda x: x.__setitem__(0, 5.0), r"x\[index\] = value"),
        (lambda x: x.zero_(), r"zero_\(\)"),
    ],
    ids=["add_", "+=", "setitem", "zero_"],
)
def test_a_change_in_place_outside_the_mode_is_refused_even_under_no_grad(rng, write, name):
    with mc.inference_mode():
        x = mc.tensor(rng.standard_normal(3))
        write(x)  # inside: taken
    before = x.numpy().copy()
    for context in (mc.enable_grad, mc.no_grad):
        with (
            context(),
            pytest.raises(
                RuntimeError,
                match=rf"^{name}.*: in-place update to an inference tensor outside mc.inference_mode\(\)",
            ),
        ):
            write(x)
    np.testing.assert_array_equal(x.numpy(), before)


def test_requires_grad_is_refused_outside_the_mode(rng):
    with mc.inference_mode():
        x = mc.tensor(rng.standard_normal(3))
        inside = mc.tensor(rng.standard_normal(3)).requires_grad_()  # as PyTorch: taken inside
    assert inside.requires_grad and inside.is_inference()
    message = r"^Setting requires_grad=True on an inference tensor outside mc.inference_mode\(\)"
    with pytest.raises(RuntimeError, match=message):
        x.requires_grad_()
    with pytest.raises(RuntimeError, match=message):
        mc.nn.Parameter(x)
    x.requires_grad_(False)  # switching it off is fine
    assert x.clone().requires_grad_().requires_grad


def test_a_module_run_inside_gives_an_output_without_graph(rng):
    lin = mc.nn.Linear(3, 2)
    with mc.inference_mode():
        out = lin(mc.tensor(rng.standard_normal((1, 3)), dtype=mc.float32))
    assert out.is_inference() and not out.requires_grad and not lin.weight.is_inference()
    with pytest.raises(RuntimeError, match="does not require grad and has no graph"):
        out.sum().backward()


def test_mode_false_turns_recording_on_even_inside_the_mode_or_no_grad(rng):
    w = leaf(rng)
    for outer, inference in ((mc.inference_mode, True), (mc.no_grad, False)):
        with outer():
            with mc.inference_mode(False):
                y = w * 2
                assert mc.is_grad_enabled() and not mc.is_inference_mode_enabled()
            assert y.requires_grad and not y.is_inference()
            assert not mc.is_grad_enabled() and mc.is_inference_mode_enabled() is inference
    assert mc.is_grad_enabled() and not mc.is_inference_mode_enabled()


def test_enable_grad_inside_the_mode_records_nothing_as_pytorch(rng):
    w = leaf(rng)
    with mc.inference_mode():
        with mc.enable_grad():
            y = w * 2
            assert mc.is_grad_enabled() and mc.is_inference_mode_enabled()
        with mc.no_grad():
            assert mc.is_inference_mode_enabled()
        assert not mc.is_grad_enabled()
    assert not y.requires_grad and y.is_inference()


def test_it_decorates_bare_called_and_with_false(rng):
    @mc.inference_mode
    def bare(t):
        return t * 2, mc.is_inference_mode_enabled()

    @mc.inference_mode()
    def called(t):
        return t * 2

    @mc.inference_mode(False)
    def off(t):
        return t * 2

    w = leaf(rng)
    y, inside = bare(w)
    assert inside and y.is_inference() and called(w).is_inference()
    with mc.no_grad():
        y = off(w)
    assert y.requires_grad and not y.is_inference()
    assert not mc.is_inference_mode_enabled() and mc.is_grad_enabled()


def test_a_generator_function_keeps_the_mode_and_its_caller_its_own(rng):
    @mc.inference_mode()
    def batches():
        for _ in range(2):
            yield mc.is_inference_mode_enabled(), mc.zeros(1).is_inference()

    seen = []
    for mode in batches():
        seen.append((mode, mc.is_inference_mode_enabled()))
    assert seen == [((True, True), False)] * 2


def test_a_mode_that_is_not_a_bool_is_refused():
    with pytest.raises(
        TypeError, match="^inference_mode: mode must be True or False, or a function to decorate; got 1"
    ):
        mc.inference_mode(1)


def test_the_mode_belongs_to_a_thread(rng):
    inside, release, seen = threading.Event(), threading.Event(), {}

    def evaluate():
        with mc.inference_mode():
            inside.set()
            release.wait(10)
            seen["thread"] = mc.zeros(1).is_inference()

    thread = threading.Thread(target=evaluate)
    thread.start()
    try:
        assert inside.wait(10)
        assert not mc.is_inference_mode_enabled() and not mc.zeros(1).is_inference()
    finally:
        release.set()
        thread.join()
    assert seen["thread"]


def test_a_backward_run_inside_fills_grad_and_its_new_grad_is_an_inference_tensor(rng):
    w = leaf(rng)
    y = (w * 3).sum()
    with mc.inference_mode():
        y.backward()
    np.testing.assert_array_equal(w.grad.numpy(), np.full(3, 3.0))
    assert w.grad.is_inference()  # as PyTorch: made inside
