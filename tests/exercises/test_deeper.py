"""Chapters 5, 7 and 8's later exercises (an Inception module's cost, a saliency map; the fine-tuning
step is in test_finetuning.py): each known mistake, written as a student would write it, gets its
hint."""

import numpy as np
import pytest
import solutions as S
from failure_message import failure
from mistake_hint import hint

import minicnn as mc
from minicnn import exercises, rng
from minicnn.exercises import deeper, saliency


def test_each_comes_after_its_notebooks_first_exercise():
    names = exercises.names()
    for first, later in [
        ("conv1x1_forward", "inception_cost"),
        ("adam_step", "finetune_sgd_step"),
        ("class_activation_map", "saliency_map"),
    ]:
        assert names.index(later) == names.index(first) + 1
        assert exercises.info(later).notebook == exercises.info(first).notebook


# --- the cost of an Inception module ------------------------------------------------------------


def test_inception_reference_gives_the_notebooks_figures_for_3a():
    """Inception 3a on 28x28x192 (Table 1): 303M multiply-adds naive, 128M reduced; 416 and 256 channels."""
    macs, channels = deeper._inception(192, 28, 28, 64, 96, 128, 16, 32, 32)
    assert macs == (784 * 192 * (64 + 128 * 9 + 32 * 25), 128049152)
    assert channels == (416, 256)


def test_inception_reference_leaves_the_random_stream_alone():
    mc.manual_seed(7)
    want = rng.default_generator().random(3)
    mc.manual_seed(7)
    deeper._inception(4, 3, 3, 2, 2, 3, 1, 2, 2)  # builds layers, which draws weights
    assert np.array_equal(rng.default_generator().random(3), want)


def test_inception_widths_are_drawn_from_the_seed_and_table_1_kept():
    ex = exercises.info("inception_cost")
    from minicnn.exercises.grading import case_rng

    drawn = [ex.make(case_rng(ex.cases[1], seed), **ex.cases[1].params) for seed in (None, 1, 2)]
    assert len({args for args in drawn}) == 3 and all(args[1:3] == (5, 7) for args in drawn)
    paper = [ex.make(case_rng(ex.cases[0], seed), **ex.cases[0].params) for seed in (None, 1)]
    assert paper[0] == paper[1] == (192, 28, 28, 64, 96, 128, 16, 32, 32)


def _inception_with(
    naive_last="c_in",
    reductions=True,
    projection=True,
    reads="reduced",
    pixels=True,
    per_mac=1,
    pool=(0, 0),
    swapped=(),
):
    """A student's count, with one part of it written wrong: ``pool`` (naive, reduced) multiply-adds
    per channel for the max pool, ``swapped`` the pairs ("macs", "channels") in reduced, naive order."""

    def inception_cost(c_in, h, w, c1, c3_reduce, c3, c5_reduce, c5, pool_proj):
        r3, r5 = (c3_reduce, c5_reduce) if reads == "reduced" else (c_in, c_in)
        naive = c_in * (c1 + 9 * c3 + 25 * c5) + (pool_proj * c_in if naive_last == "pool_proj" else 0)
        naive += pool[0] * c_in  # the max pool's 3x3 window on each channel
        reduced = c_in * c1 + 9 * r3 * c3 + 25 * r5 * c5 + pool[1] * c_in
        reduced += c_in * (c3_reduce + c5_reduce) if reductions else 0
        reduced += c_in * pool_proj if projection else 0
        n = per_mac * (h * w if pixels else 1)
        last = {"c_in": c_in, "none": 0, "pool_proj": pool_proj}[naive_last]
        macs, channels = (naive * n, reduced * n), (c1 + c3 + c5 + last, c1 + c3 + c5 + pool_proj)
        macs = macs[::-1] if "macs" in swapped else macs
        return macs, channels[::-1] if "channels" in swapped else channels

    return inception_cost


def test_inception_helper_written_right_passes(capsys):
    exercises.check("inception_cost", _inception_with())
    assert capsys.readouterr().out == "inception_cost: passed (5 cases)\n"


@pytest.mark.parametrize(
    "options, says",
    [
        (dict(naive_last="none"), "pooling branch is missing from its channels"),
        (dict(naive_last="pool_proj"), "has no 1x1 projection after its pooling"),
        (dict(reductions=False), "the 1x1 reductions cost multiply-adds too"),
        (dict(projection=False), "the pooling branch's 1x1 projection"),
        (dict(reads="c_in"), "the 3x3 conv reads c3_reduce channels"),
        (dict(pixels=False), "once per output pixel"),
        (dict(per_mac=2), "that is FLOPs"),
        (dict(pool=(9, 9)), "the max pool was given multiply-adds"),
        (dict(pool=(9, 0)), "the max pool was given multiply-adds"),
        (dict(swapped=("macs",)), "naive and reduced were swapped"),
        (dict(swapped=("macs", "channels")), "naive and reduced were swapped"),
        (dict(swapped=("channels",)), "naive and reduced were swapped"),
    ],
)
def test_inception_mistakes(options, says):
    assert says in hint("inception_cost", _inception_with(**options))


def _inception_right_but(kernel=lambda k: k * k, bias=0, grouped=False):
    """A student's count with each kernel's weights per channel pair as ``kernel(k)``, ``bias`` times
    each conv's outputs added for its biases, or the pairs grouped by module."""

    def inception_cost(c_in, h, w, c1, c3_reduce, c3, c5_reduce, c5, pool_proj):
        k3, k5 = kernel(3), kernel(5)
        naive = c_in * (c1 + k3 * c3 + k5 * c5) + bias * (c1 + c3 + c5)
        reduced = c_in * (c1 + c3_reduce + c5_reduce + pool_proj) + k3 * c3_reduce * c3 + k5 * c5_reduce * c5
        reduced += bias * (c1 + c3_reduce + c3 + c5_reduce + c5 + pool_proj)
        macs, channels = (naive * h * w, reduced * h * w), (c1 + c3 + c5 + c_in, c1 + c3 + c5 + pool_proj)
        return ((macs[0], channels[0]), (macs[1], channels[1])) if grouped else (macs, channels)

    return inception_cost


def test_inception_right_but_helper_written_right_passes(capsys):
    exercises.check("inception_cost", _inception_right_but())
    assert capsys.readouterr().out == "inception_cost: passed (5 cases)\n"


@pytest.mark.parametrize(
    "options, says",
    [
        (dict(kernel=lambda k: k), "a k x k kernel has k * k weights"),
        (dict(bias=1), "the biases were counted"),
        (dict(grouped=True), "the pairs were grouped by module"),
    ],
)
def test_inception_more_mistakes(options, says):
    assert hint("inception_cost", _inception_right_but(**options)).startswith(says)


def test_inception_doc_names_each_pair():
    """The two pairs are grouped by what they count, and the doc spells both out."""
    doc = exercises.info("inception_cost").doc
    assert "macs = (naive, reduced)" in doc and "channels = (naive, reduced)" in doc


def test_inception_message_names_the_pair_and_the_case():
    def inception_cost(c_in, h, w, c1, c3_reduce, c3, c5_reduce, c5, pool_proj):
        macs, channels = S.inception_cost(c_in, h, w, c1, c3_reduce, c3, c5_reduce, c5, pool_proj)
        return macs[::-1], channels  # naive and reduced swapped

    with pytest.raises(exercises.ExerciseFailed, match=r"macs: expected \[303464448, 128049152\]"):
        exercises.check("inception_cost", inception_cost)


@pytest.mark.parametrize("kind", [tuple, list, np.array])
def test_inception_message_writes_the_answer_as_it_writes_the_expected_pair(kind):
    def inception_cost(c_in, h, w, c1, c3_reduce, c3, c5_reduce, c5, pool_proj):
        macs, channels = S.inception_cost(c_in, h, w, c1, c3_reduce, c3, c5_reduce, c5, pool_proj)
        return kind(macs[::-1]), channels

    said = failure("inception_cost", inception_cost)
    assert "macs: expected [303464448, 128049152], got [128049152, 303464448]" in said
    assert said.split("\n  hint: ")[1].startswith("naive and reduced were swapped")


def test_inception_reference_on_one_pixel_counts_as_summary_on_the_whole_input():
    """The reference counts one pixel of input and multiplies by h * w: the same count as summary's
    on the whole input, for each of the seeded cases small enough to run."""
    for args in [
        (192, 28, 28, 64, 96, 128, 16, 32, 32),
        (5, 5, 7, 3, 2, 4, 1, 6, 2),
        (3, 1, 1, 1, 2, 3, 4, 5, 6),
    ]:
        assert deeper._inception(*args) == deeper._inception(*args, pixel=False)


def test_inception_has_a_case_past_2_31_under_every_seed():
    from minicnn.exercises.grading import case_rng

    ex = exercises.info("inception_cost")
    for seed in (None, 1, 2):
        args = ex.make(case_rng(ex.cases[-1], seed), **ex.cases[-1].params)
        assert min(ex.expected(*args)[0]) > 2**31


def _inception_in(int32):
    """A student's right count, with its arithmetic done by ``int32``(the widths)."""

    def inception_cost(c_in, h, w, c1, c3_reduce, c3, c5_reduce, c5, pool_proj):
        c_in, h, w, c1, c3r, c3, c5r, c5, proj = int32(
            [c_in, h, w, c1, c3_reduce, c3, c5_reduce, c5, pool_proj]
        )
        naive = (c_in * c1 + c_in * c3 * 9 + c_in * c5 * 25) * h * w
        reduced = c_in * (c1 + c3r + c5r + proj) + 9 * c3r * c3 + 25 * c5r * c5
        return (naive, reduced * h * w), (int(c1 + c3 + c5 + c_in), int(c1 + c3 + c5 + proj))

    return inception_cost


def _prod32(n):
    """np.prod with dtype int32 wraps as int32 arithmetic does."""
    return np.prod(n, dtype=np.int32)


@pytest.mark.parametrize(
    "int32",
    [
        lambda widths: [np.int32(n) for n in widths],
        lambda widths: list(np.array(widths, dtype=np.int32)),
        lambda widths: [_prod32([n]) for n in widths],
    ],
)
def test_inception_counted_in_int32_fails_the_large_case_with_a_hint(int32):
    with np.errstate(over="ignore"):
        said = failure("inception_cost", _inception_in(int32))
    assert said.startswith("inception_cost failed on case 5 of 5 (c_in 192, h 224, w 224,")
    assert "macs: expected [19421724672, 8195145728], got [" in said
    assert said.endswith("hint: the count overflows 32-bit integers: compute in Python ints or int64")


def test_inception_counted_in_int64_passes(capsys):
    exercises.check("inception_cost", _inception_in(lambda widths: [np.int64(n) for n in widths]))
    assert capsys.readouterr().out == "inception_cost: passed (5 cases)\n"


# --- saliency map ---------------------------------------------------------------------------------


def _saliency_with(
    relu=True, reduce=lambda g: np.abs(g).max(axis=1), score=True, first_label=False, at_zero=False
):
    """A student's map, one part of it written wrong; ``at_zero``: the ReLU passes the gradient at 0."""

    def saliency_map(x, w1, b1, w2, b2, labels):
        N = x.shape[0]
        labels = np.full_like(labels, labels[0]) if first_label else labels
        pre = x.reshape(N, -1) @ w1.T + b1
        if score:
            g_scores = np.zeros((N, w2.shape[0]))
            g_scores[np.arange(N), labels] = 1
        else:  # the cross-entropy's gradient, (softmax - one-hot), per image
            s = np.maximum(pre, 0) @ w2.T + b2 if relu else pre @ w2.T + b2
            p = np.exp(s - s.max(axis=1, keepdims=True))
            g_scores = p / p.sum(axis=1, keepdims=True)
            g_scores[np.arange(N), labels] -= 1
            g_scores = g_scores / (N if score is None else 1)
        g_h = g_scores @ w2
        if relu:
            g_h = g_h * ((pre >= 0) if at_zero else (pre > 0))
        return reduce((g_h @ w1).reshape(x.shape))

    return saliency_map


def test_saliency_doc_gives_relus_derivative_at_0_as_the_reference_takes_it():
    """At an input of exactly 0, PyTorch's ReLU (and minicnn's) passes no gradient: the doc says so."""
    assert "0 elsewhere, at exactly 0 too (PyTorch's convention)" in " ".join(
        exercises.info("saliency_map").doc.split()
    )
    x = np.array([[[[1.0, 2.0]]]])
    w1, b1 = np.array([[1.0, 1.0], [1.0, -1.0]]), np.array([-3.0, 1.0])  # pre-activations 0 and 0
    w2, b2 = np.array([[2.0, 5.0]]), np.zeros(1)
    assert np.array_equal(saliency._input_grad(x, w1, b1, w2, b2, np.array([0])), np.zeros((1, 1, 1, 2)))


def test_saliency_helper_written_right_passes(capsys):
    exercises.check("saliency_map", _saliency_with())
    assert capsys.readouterr().out == "saliency_map: passed (5 cases)\n"


@pytest.mark.parametrize(
    "options, says",
    [
        (dict(relu=False), "the ReLU was left out of the backward pass"),
        (dict(reduce=lambda g: g.max(axis=1)), "the magnitude was not taken"),
        (dict(reduce=lambda g: np.abs(g.max(axis=1))), "|max over channels| is not max over channels of |.|"),
        (dict(reduce=lambda g: np.abs(g).sum(axis=1)), "the channels were summed"),
        (dict(reduce=lambda g: np.abs(g).mean(axis=1)), "the channels were averaged"),
        (dict(score=False), "that is the gradient of the cross-entropy loss"),
        (dict(score=None), "that is the gradient of the cross-entropy loss"),
        (dict(first_label=True), "every image used the first image's class"),
        (dict(reduce=lambda g: np.abs(g.sum(axis=1))), "|sum over channels| is not max over channels of |.|"),
        (dict(reduce=lambda g: (g**2).max(axis=1)), "the gradient was squared"),
        (dict(reduce=lambda g: np.abs(g).max(axis=1) ** 2), "the gradient was squared"),
        (dict(reduce=lambda g: _by_its_max(np.abs(g).max(axis=1), (1, 2))), "the map was normalised"),
        (dict(reduce=lambda g: _by_its_max(np.abs(g).max(axis=1), None)), "the map was normalised"),
        (dict(at_zero=True), "at 0 a ReLU's gradient is 0"),
    ],
)
def test_saliency_mistakes(options, says):
    assert hint("saliency_map", _saliency_with(**options)).startswith(says)


def _by_its_max(s, axis):
    """The map scaled to a largest value of 1: each image's own (axis (1, 2)) or the batch's (None)."""
    return s / s.max(axis=axis, keepdims=axis is not None)


def test_saliency_of_one_grey_image_passes_without_the_channel_max_and_fails_after():
    """Case 1 has one channel, where max, sum and mean over channels agree; case 2 has three."""
    with pytest.raises(exercises.ExerciseFailed, match="case 2 of 5"):
        exercises.check("saliency_map", _saliency_with(reduce=lambda g: np.abs(g).sum(axis=1)))


def test_saliency_relu_passing_the_gradient_at_0_fails_on_the_kink_case_alone():
    """Random inputs never put a pre-activation at exactly 0; the last case does (a blank image, half
    of b1 zero), where a mask pre >= 0 lets those units' gradient through."""
    with pytest.raises(exercises.ExerciseFailed, match="case 5 of 5") as failed:
        exercises.check("saliency_map", _saliency_with(at_zero=True))
    assert "hint: at 0 a ReLU's gradient is 0" in str(failed.value)


def _saliency_of(dscore):
    """A student's map with d(what)/d scores given by ``dscore(scores, labels)`` (N, K)."""

    def saliency_map(x, w1, b1, w2, b2, labels):
        pre = x.reshape(len(x), -1) @ w1.T + b1
        scores = np.maximum(pre, 0) @ w2.T + b2
        g_x = ((dscore(scores, labels) @ w2) * (pre > 0)) @ w1
        return np.abs(g_x.reshape(x.shape)).max(axis=1)

    return saliency_map


def _softmax(s):
    e = np.exp(s - s.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _probability(scores, labels):
    """d p[n, labels[n]] / d scores[n]: p_y (onehot - p)."""
    p, onehot = _softmax(scores), np.eye(scores.shape[1])[labels]
    return p[np.arange(len(p)), labels][:, None] * (onehot - p)


def test_saliency_of_the_score_by_hand_passes(capsys):
    exercises.check("saliency_map", _saliency_of(lambda s, y: np.eye(s.shape[1])[y]))
    assert capsys.readouterr().out == "saliency_map: passed (5 cases)\n"


def test_saliency_of_the_softmax_probability():
    said = hint("saliency_map", _saliency_of(_probability))
    assert said.startswith("that is the gradient of the softmax probability")


def test_saliency_of_the_predicted_class():
    """Section 3 of the notebook draws the map for the predicted class; the exercise asks for labels[n]."""
    predicted = _saliency_of(lambda s, y: np.eye(s.shape[1])[s.argmax(axis=1)])
    assert hint("saliency_map", predicted).startswith("each image used its predicted class")
