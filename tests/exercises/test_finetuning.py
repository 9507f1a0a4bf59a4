"""Chapter 7's fine-tuning step with the layers up to ``until`` frozen: each known mistake, written
as a student would write it, gets its hint, and every parameter that differs is said to be frozen
or stepped."""

import numpy as np
import pytest
from failure_message import failure
from mistake_hint import hint

from minicnn import exercises
from minicnn.exercises import finetuning


def _step_with(is_frozen, decay_frozen=False):
    """A student's step: is_frozen(name, names, until) says which parameters keep their values."""

    def finetune_sgd_step(params, grads, until, lr, weight_decay):
        names, new = list(params), {}
        for name, p in params.items():
            if is_frozen(name, names, until):
                new[name] = p * (1 - lr * weight_decay) if decay_frozen else p.copy()
            else:
                new[name] = p - lr * (grads[name] + weight_decay * p)
        return new

    return finetune_sgd_step


def _layers_up_to(names, until):
    layers = []
    for name in names:
        if name.split(".")[0] not in layers:
            layers.append(name.split(".")[0])
    return layers[: layers.index(until) + 1]


def test_finetune_right_by_the_layers_list(capsys):
    right = _step_with(lambda name, names, until: name.split(".")[0] in _layers_up_to(names, until))
    exercises.check("finetune_sgd_step", right)
    assert capsys.readouterr().out == "finetune_sgd_step: passed (5 cases)\n"


def test_finetune_until_left_trainable():
    def finetune_sgd_step(params, grads, until, lr, weight_decay):
        new, frozen = {}, True
        for name, p in params.items():
            if name.split(".")[0] == until:
                frozen = False  # stops freezing AT until
            new[name] = p.copy() if frozen else p - lr * (grads[name] + weight_decay * p)
        return new

    assert hint("finetune_sgd_step", finetune_sgd_step).startswith("the layer until itself was trained")


def test_finetune_nothing_frozen():
    def finetune_sgd_step(params, grads, until, lr, weight_decay):
        return {name: p - lr * (grads[name] + weight_decay * p) for name, p in params.items()}

    assert hint("finetune_sgd_step", finetune_sgd_step).startswith("every parameter took its step")


def test_finetune_weight_decay_on_the_frozen_layers():
    def finetune_sgd_step(params, grads, until, lr, weight_decay):
        frozen = _layers_up_to(list(params), until)
        new = {}
        for name, p in params.items():
            g = 0 * p if name.split(".")[0] in frozen else grads[name]  # no gradient, as freeze gives
            new[name] = p - lr * (g + weight_decay * p)
        return new

    # case 1 has no weight decay: it passes, and case 2 names the mistake
    with pytest.raises(exercises.ExerciseFailed, match="case 2 of 5"):
        exercises.check("finetune_sgd_step", finetune_sgd_step)
    assert hint("finetune_sgd_step", finetune_sgd_step).startswith("weight decay moved the frozen parameters")


def test_finetune_only_the_first_parameter_of_until_frozen():
    def finetune_sgd_step(params, grads, until, lr, weight_decay):
        new, frozen = {}, True
        for name, p in params.items():
            new[name] = p.copy() if frozen else p - lr * (grads[name] + weight_decay * p)
            if name.startswith(until + "."):
                frozen = False  # after until's weight, its bias is trained
        return new

    said = hint("finetune_sgd_step", finetune_sgd_step)
    assert said.startswith("only the first parameter of until was frozen")


def test_finetune_layers_matched_with_startswith_fail_on_the_sequential_only():
    wrong = _step_with(lambda name, names, until: name.startswith(tuple(_layers_up_to(names, until))))
    with pytest.raises(exercises.ExerciseFailed, match=r"case 3 of 5 .*until '1'"):
        exercises.check("finetune_sgd_step", wrong)
    assert hint("finetune_sgd_step", wrong).startswith("a name was matched with startswith")


def test_finetune_only_the_layer_until_frozen():
    """Reading "freeze the layer until" as that layer alone: the layers before it took their step."""
    wrong = _step_with(lambda name, names, until: name.split(".")[0] == until)
    assert hint("finetune_sgd_step", wrong).startswith("only the layer until was frozen")


def test_finetune_weight_decay_left_out():
    def finetune_sgd_step(params, grads, until, lr, weight_decay):
        frozen = _layers_up_to(list(params), until)
        return {n: p.copy() if n.split(".")[0] in frozen else p - lr * grads[n] for n, p in params.items()}

    # case 1 has no weight decay: it passes, and case 2 names the mistake
    with pytest.raises(exercises.ExerciseFailed, match="case 2 of 5"):
        exercises.check("finetune_sgd_step", finetune_sgd_step)
    assert hint("finetune_sgd_step", finetune_sgd_step).startswith("weight decay was left out")


def test_finetune_layers_after_until_frozen():
    """Freezing the other end of the network: the layers after until, or until and those after it."""
    after = _step_with(lambda name, names, until: name.split(".")[0] not in _layers_up_to(names, until))
    assert hint("finetune_sgd_step", after).startswith("the wrong end of the network was frozen")

    def finetune_sgd_step(params, grads, until, lr, weight_decay):
        new, frozen = {}, False
        for name, p in params.items():
            if name.split(".")[0] == until:
                frozen = True  # freezes from until on
            new[name] = p.copy() if frozen else p - lr * (grads[name] + weight_decay * p)
        return new

    assert hint("finetune_sgd_step", finetune_sgd_step).startswith("the wrong end of the network was frozen")


def test_finetune_until_is_a_layer_with_parameters_in_every_case_and_the_doc_says_so():
    """freeze(model, until) also takes a layer without parameters (notebook 07 freezes up to the ReLU
    "10"); params cannot show where such a layer sits, so the exercise's until is always one of
    params' layers, and the doc says so."""
    from minicnn.exercises.grading import case_rng

    ex = exercises.info("finetune_sgd_step")
    for case in ex.cases:
        params, _, until, _, _ = ex.make(case_rng(case), **case.params)
        assert until in {name.split(".")[0] for name in params}
    assert "until is always the layer of some parameter in params" in " ".join(ex.doc.split())


def test_finetune_frozen_values_are_a_copy_the_grader_can_compare():
    """Returning the argument's own arrays for the frozen layers is right: nothing is written into them."""

    def finetune_sgd_step(params, grads, until, lr, weight_decay):
        frozen = _layers_up_to(list(params), until)
        return {
            n: p if n.split(".")[0] in frozen else p - lr * (grads[n] + weight_decay * p)
            for n, p in params.items()
        }

    exercises.check("finetune_sgd_step", finetune_sgd_step)


def _step_decayed_as(decay):
    """A student's step, frozen layers right, with weight decay written as ``decay(p, g, lr, wd)``."""

    def finetune_sgd_step(params, grads, until, lr, weight_decay):
        frozen = _layers_up_to(list(params), until)
        return {
            n: p.copy() if n.split(".")[0] in frozen else decay(p, grads[n], lr, weight_decay)
            for n, p in params.items()
        }

    return finetune_sgd_step


@pytest.mark.parametrize(
    "decay, says",
    [
        (lambda p, g, lr, wd: p - lr * (g - wd * p), "weight decay has the wrong sign"),
        (lambda p, g, lr, wd: p - lr * g + lr * wd * p, "weight decay has the wrong sign"),
        (lambda p, g, lr, wd: p - lr * g - wd * p, "weight decay was added outside the learning rate"),
        (lambda p, g, lr, wd: p - (lr * g + wd * p), "weight decay was added outside the learning rate"),
    ],
)
def test_finetune_weight_decay_written_wrong(decay, says):
    """Case 1 has no weight decay: it passes, and case 2 names the mistake."""
    with pytest.raises(exercises.ExerciseFailed, match="case 2 of 5"):
        exercises.check("finetune_sgd_step", _step_decayed_as(decay))
    assert hint("finetune_sgd_step", _step_decayed_as(decay)).startswith(says)


@pytest.mark.parametrize(
    "wrong, says",
    [
        # the frozen and the trained layers swapped: the message says so, and the hint names it
        (
            _step_with(lambda name, names, until: name.split(".")[0] not in _layers_up_to(names, until)),
            "conv1.weight should not change: it is frozen (layer 'conv1' is at or before until, 'conv2')",
        ),
        (
            _step_with(lambda name, names, until: name.split(".")[0] in _layers_up_to(names, until), True),
            "conv1.weight should not change: it is frozen (layer 'conv1' is at or before until, 'fc1')",
        ),
        (
            _step_decayed_as(lambda p, g, lr, wd: p - lr * (g - wd * p)),
            "fc2.weight should take the SGD step (layer 'fc2' comes after until, 'fc1')",
        ),
        (
            _step_decayed_as(lambda p, g, lr, wd: p - lr * g - wd * p),
            "fc2.weight should take the SGD step (layer 'fc2' comes after until, 'fc1')",
        ),
    ],
)
def test_finetune_message_says_whether_the_parameter_is_frozen_or_stepped(wrong, says):
    """Every parameter whose values differ is said to be frozen or stepped, a known mistake or not."""
    said = failure("finetune_sgd_step", wrong)
    first = said.splitlines()[1]
    assert " differ; the worst is new_params[" in first and first.endswith(f"; {says}")


def test_finetune_sequential_layer_after_until_is_said_to_step():
    """Layer "10" comes after until "1" though "10" starts with "1": the message goes by the layer."""
    wrong = _step_with(lambda name, names, until: name.startswith(tuple(_layers_up_to(names, until))))
    said = failure("finetune_sgd_step", wrong)
    assert "10.weight should take the SGD step (layer '10' comes after until, '1')" in said


def test_finetune_dtype_miss_is_not_said_to_be_frozen_or_stepped():
    def finetune_sgd_step(params, grads, until, lr, weight_decay):
        return {n: p.astype(np.float32) for n, p in params.items()}

    said = failure("finetune_sgd_step", finetune_sgd_step)
    assert "has dtype float32" in said and "should not change" not in said and "SGD step" not in said


def test_finetune_missing_keys_are_listed_in_the_networks_order():
    def finetune_sgd_step(params, grads, until, lr, weight_decay):
        frozen = _layers_up_to(list(params), until)
        return {n: p - lr * grads[n] for n, p in params.items() if n.split(".")[0] not in frozen}

    said = failure("finetune_sgd_step", finetune_sgd_step).splitlines()[1]
    layers = ["conv1", "conv2", "fc1", "fc2", "fc3"]
    keys = ", ".join(f"'{layer}.{kind}'" for layer in layers for kind in ("weight", "bias"))
    assert said == (
        f"  new_params should have the keys [{keys}]; missing ['conv1.weight', 'conv1.bias', "
        "'conv2.weight', 'conv2.bias']"
    )


def test_finetune_extra_keys_are_listed_in_the_answers_order():
    def finetune_sgd_step(params, grads, until, lr, weight_decay):
        new = finetuning._finetune(params, grads, until, lr, weight_decay)
        return {**new, "zz.weight": 0, "aa.bias": 0}

    assert failure("finetune_sgd_step", finetune_sgd_step).endswith(
        "['zz.weight', 'aa.bias'] should not be there"
    )
