"""Chapter 5's receptive_field: every case's expected (r, j) measured on minicnn's autograd, and each
known mistake, written as a student would write it, gets its hint."""

import numpy as np
import pytest
import solutions as S
from failure_message import failure
from mistake_hint import hint

import minicnn as mc
from minicnn import exercises, nn
from minicnn.exercises import conv_later
from minicnn.exercises.grading import case_rng
from minicnn.kernels.sizes import conv_out_size


def _width(layers, units=2):
    """The narrowest input, by doubling, that leaves ``units`` output units after the stack (no
    padding): found by the output-size formula alone, not by the receptive field's recurrence."""
    width = 1
    while True:
        n = width
        for k, s in layers:
            n = conv_out_size(n, k, s, 0) if n >= k else 0
        if n >= units:
            return width
        width *= 2


def measured(layers):
    """(r, j) of the stack on minicnn's autograd, along one axis: 1 x k convolutions with all-ones
    weights (positive, so no two paths cancel to 0) on a zero input; r is the span of the input
    pixels whose gradient from output unit 0 is not 0, j how far unit 1's span starts from unit 0's."""
    stack = nn.Sequential(*[nn.Conv2d(1, 1, (1, k), stride=(1, s), bias=False) for k, s in layers])
    for conv in stack:
        conv.weight.data[...] = 1.0
    spans = []
    for unit in (0, 1):
        x = mc.zeros(1, 1, 1, _width(layers), requires_grad=True)
        stack(x)[0, 0, 0, unit].backward()
        spans.append(np.flatnonzero(x.grad.numpy()[0, 0, 0]))
    return int(spans[0][-1] - spans[0][0] + 1), int(spans[1][0] - spans[0][0])


def _cases(seed=None):
    ex = exercises.info("receptive_field")
    return [ex.make(case_rng(case, seed), **case.params)[0] for case in ex.cases]


# the public cases' answers by hand: VGG's 3x3 stacks, VGG-16's first stage (its pool's stride
# spaces the units 2 pixels apart), VGG-16's 13 convs and 5 pools, AlexNet's conv1 to pool5, LeNet-5's
# C1 to S4 (5 pixels; 6 after S2, jump 2; 6 + 4 * 2 = 14 after C3; 14 + 1 * 2 = 16 after S4, jump 4)
BY_HAND = [(5, 1), (7, 1), (6, 2), (212, 32), (195, 32), (16, 4), None, (1, 1)]


def test_public_cases_give_the_answers_worked_by_hand():
    got = [conv_later._receptive(layers) for layers in _cases()]
    assert [g for g, want in zip(got, BY_HAND) if want is not None] == [w for w in BY_HAND if w is not None]


@pytest.mark.parametrize("seed", [None, 0, 1, 2])
def test_every_cases_expected_answer_is_what_autograd_measures(seed):
    """The recurrence against the engine: each case's stack built of convolutions, and its (r, j)
    read off the input's gradient; with a student's seed too (the drawn stack is another)."""
    for layers in _cases(seed):
        assert measured(layers) == conv_later._receptive(layers), layers


def test_a_stride_past_its_kernel_leaves_holes_inside_the_span():
    """Two 1x1 convs of stride 2, then a 3x3: the unit reads 3 pixels 4 apart. r is the span, 9, as
    the recurrence gives it, holes and all; the drawn stacks may hold such layers."""
    layers = [(1, 2), (1, 2), (3, 1)]
    assert measured(layers) == conv_later._receptive(layers) == (9, 4)
    assert any(k < s for seed in range(5) for k, s in _cases(seed)[6])


def _grad_rows_and_columns(stack, size, unit):
    x = mc.zeros(1, 1, size, size, requires_grad=True)
    stack(x)[0, 0, unit, unit].backward()
    seen = x.grad.numpy()[0, 0] != 0
    rows, cols = np.flatnonzero(seen.any(axis=1)), np.flatnonzero(seen.any(axis=0))
    return rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1


def _ones(*layers):
    for layer in layers:
        if isinstance(layer, nn.Conv2d):
            layer.weight.data[...] = 1.0
    return nn.Sequential(*layers)


def test_square_layers_with_padding_and_real_pools_see_r_x_r():
    """VGG-16's first two stages as the network has them, 3x3 convs of padding 1 and 2x2 pools of
    stride 2 (average pools: a max pool's gradient reaches only each window's maximum, not its whole
    window), and LeNet-5's: the central unit sees r x r input pixels, padding or not."""
    conv = lambda: nn.Conv2d(1, 1, 3, padding=1, bias=False)  # noqa: E731
    vgg = _ones(conv(), conv(), nn.AvgPool2d(2, 2), conv(), conv(), nn.AvgPool2d(2, 2))
    assert _grad_rows_and_columns(vgg, 32, 4) == (16, 16)
    assert conv_later._receptive(conv_later.VGG16[:6])[0] == 16
    lenet = _ones(nn.Conv2d(1, 1, 5, bias=False), nn.AvgPool2d(2, 2), nn.Conv2d(1, 1, 5, bias=False))
    lenet.append(nn.AvgPool2d(2, 2))
    assert _grad_rows_and_columns(lenet, 32, 2) == (16, 16)


def test_it_comes_first_in_its_notebook_before_conv1x1_forward():
    names = exercises.names()
    assert names.index("conv1x1_forward") == names.index("receptive_field") + 1
    assert exercises.info("receptive_field").notebook == exercises.info("conv1x1_forward").notebook


def test_the_doc_states_the_recurrence_and_why_no_dilation():
    doc = " ".join(exercises.info("receptive_field").doc.split())
    assert "r_l = r_{l-1} + (k_l - 1) * j_{l-1}, j_l = j_{l-1} * s_l" in doc
    assert "No dilation either, as none of the chapter's nets use it" in doc


# --- a student's answers ---------------------------------------------------------------------------


def test_solution_passes(capsys):
    exercises.check("receptive_field", S.receptive_field)
    assert capsys.readouterr().out == "receptive_field: passed (8 cases)\n"


def test_closed_form_in_numpy_ints_passes(capsys):
    def receptive_field(layers):
        k = np.array([k for k, _ in layers], dtype=np.int64)
        s = np.array([s for _, s in layers], dtype=np.int64)
        jumps = np.cumprod(np.concatenate([[1], s]))  # j_0 .. j_L
        return 1 + np.sum((k - 1) * jumps[:-1]), jumps[-1]

    exercises.check("receptive_field", receptive_field)
    assert capsys.readouterr().out == "receptive_field: passed (8 cases)\n"


def test_r_alone_is_not_the_pair():
    said = failure("receptive_field", lambda layers: S.receptive_field(layers)[0])
    assert said.endswith("expected a tuple (r, j), got a int")


def test_a_float_r_is_refused():
    said = failure("receptive_field", lambda layers: (float(S.receptive_field(layers)[0]), 1))
    assert "r must be an int, like 5; got the float 5.0" in said


def jump_updated_first(layers):
    r, j = 1, 1
    for k, s in layers:
        j *= s
        r += (k - 1) * j
    return r, j


def kernel_sizes_summed(layers):
    j = 1
    for _, s in layers:
        j *= s
    return sum(k for k, _ in layers), j


def jump_forgotten(layers):
    r, j = 1, 1
    for k, s in layers:
        r += k - 1
        j *= s
    return r, j


def strides_added_in_the_loop(layers):
    r, j = 1, 1
    for k, s in layers:
        r += (k - 1) * j
        j += s
    return r, j


def jump_as_the_sum_of_strides(layers):
    r, j = 1, 1
    for k, s in layers:
        r += (k - 1) * j
        j *= s
    return r, sum(s for _, s in layers)


def r_from_0(layers):
    r, j = 0, 1
    for k, s in layers:
        r += (k - 1) * j
        j *= s
    return r, j


def top_down_from_the_input(layers):
    r, j = 1, 1
    for k, s in layers:  # r = s*r + (k - s) needs reversed(layers)
        r = s * r + (k - s)
        j *= s
    return r, j


def swapped(layers):
    r, j = 1, 1
    for k, s in layers:
        r += (k - 1) * j
        j *= s
    return j, r


def previous_stride_only(layers):
    r, j = 1, 1
    for k, s in layers:
        r += (k - 1) * j
        j = s
    return r, j


@pytest.mark.parametrize(
    "wrong, case, says",
    [
        # stride 1 throughout in cases 1 and 2: the jump is 1 wherever it is updated
        (jump_updated_first, 3, "the jump was updated before r"),
        (kernel_sizes_summed, 1, "r is not the sum of the kernel sizes"),
        # VGG-16's first stage ends with its pool: no layer after the stride to need the jump
        (jump_forgotten, 4, "the jump is missing from r"),
        (strides_added_in_the_loop, 1, "the strides were added"),
        (jump_as_the_sum_of_strides, 1, "j is the sum of the strides"),
        (r_from_0, 1, "r starts at 1, not 0"),
        # the pool of case 3 comes last: read from the last layer down, it is the first
        (top_down_from_the_input, 3, "the top-down recurrence r = s*r + (k - s) was run from the input up"),
        (swapped, 1, "the pair is (r, j) in that order"),
        # case 3's one stride ends it; in VGG-16 every layer after the first pool needs its 2
        (previous_stride_only, 4, "the jump is the previous layer's stride alone"),
    ],
)
def test_mistakes(wrong, case, says):
    said = failure("receptive_field", wrong)
    assert said.startswith(f"receptive_field failed on case {case} of 8 (layers [")
    assert hint("receptive_field", wrong).startswith(says)


def test_each_mistake_is_right_where_its_failing_case_says_it_can_be():
    """The hint needs the mistake right on every case before the one it fails: stride 1 first."""
    ex = exercises.info("receptive_field")
    right = [conv_later._receptive(layers) for layers in _cases()]
    first_wrong = [
        next(i for i, (layers, r_j) in enumerate(zip(_cases(), right), 1) if mistake.compute(layers) != r_j)
        for mistake in ex.mistakes
    ]
    assert first_wrong == [3, 1, 4, 1, 1, 1, 3, 1, 4]
