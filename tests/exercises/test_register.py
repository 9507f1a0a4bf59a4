"""exercises.register: an exercise of one's own, checked as minicnn's are; what register refuses,
in one line naming the field; names taken and replace=True."""

import numpy as np
import pytest

import minicnn as mc
from minicnn import exercises
from minicnn.exercises import Case, Exercise, Mistake, registry

pytestmark = pytest.mark.usefixtures("kept_registry")

HINT = "d(x^2)/dx = 2x: the factor 2 is missing"


def _make(rng, N, D):
    return rng.standard_normal(N), rng.standard_normal((N, D))


def _expected(gy, x):
    """gx of y[n] = sum_j x[n, j]^2, by minicnn's autograd."""
    t = mc.tensor(x, requires_grad=True)
    (t * t).sum(axis=1).backward(mc.tensor(gy))
    return t.grad.numpy()


def right(gy, x):
    return 2 * x * gy[:, None]


def no_two(gy, x):
    return x * gy[:, None]


def exercise(seed, **changes):
    """The exercise l2_backward, its cases drawn from ``seed`` (each test its own), with ``changes``."""
    fields = dict(
        name="l2_backward",
        signature="(gy, x)",
        returns=("gx",),
        teaches="the gradient of a sum of squares",
        doc="gy (N,), x (N, D) -> gx (N, D), where y[n] = sum_j x[n, j]**2.",
        make=_make,
        expected=_expected,
        cases=[Case(seed, dict(N=3, D=4)), Case(seed + 1, dict(N=1, D=5)), Case(seed + 2, dict(N=4, D=1))],
        mistakes=[Mistake(HINT, lambda gy, x: x * gy[:, None])],
    )
    fields.update(changes)
    return Exercise(**fields)


def test_a_registered_exercise_is_checked_as_minicnns_are(capsys):
    assert exercises.register(exercise(100)).name == "l2_backward"
    exercises.check("l2_backward", right)
    exercises.check("l2_backward", right, seed=7)
    assert capsys.readouterr().out == "l2_backward: passed (3 cases)\nl2_backward: passed (3 cases, seed 7)\n"


def test_a_wrong_answer_fails_on_its_case_with_the_known_mistakes_hint():
    exercises.register(exercise(110))
    with pytest.raises(exercises.ExerciseFailed) as failed:
        exercises.check("l2_backward", no_two)
    message = str(failed.value)
    assert message.startswith(
        "l2_backward failed on case 1 of 3 (gy (3,), x (3, 4)):\n  12 of 12 elements of gx"
    )
    assert message.endswith(f"\n  hint: {HINT}")
    with pytest.raises(exercises.ExerciseFailed) as failed:  # wrong, but no known mistake
        exercises.check("l2_backward", lambda gy, x: 2 * x)
    assert "elements of gx differ" in str(failed.value) and "hint" not in str(failed.value)


def test_a_stub_of_it_is_not_implemented_yet():
    exercises.register(exercise(120))
    space: dict = {}
    exec(exercises.stub_source("l2_backward"), space)
    assert '"""gy (N,), x (N, D) -> gx (N, D)' in exercises.stub_source("l2_backward")
    with pytest.raises(exercises.NotImplementedYet, match="l2_backward: not implemented yet"):
        exercises.check("l2_backward", space["l2_backward"])


def test_before_register_its_name_is_unknown_and_the_error_says_how():
    with pytest.raises(KeyError, match=r"no exercise 'l2_backward'.*exercises\.register\(ex\) first"):
        exercises.check("l2_backward", right)


def test_without_a_notebook_it_comes_after_minicnns_and_says_no_notebook():
    before = exercises.names()
    exercises.register(exercise(130))
    assert exercises.names() == before + ["l2_backward"]
    shown = str(exercises.info("l2_backward"))
    assert shown.splitlines()[:2] == ["l2_backward(gy, x) -> gx", "  3 cases"]
    assert repr(exercises.info("l2_backward")) == "<Exercise l2_backward(gy, x) -> gx>"


def test_a_course_notebook_places_it_in_the_course():
    exercises.register(exercise(140, notebook="03_lenet5_mnist"))
    order = exercises.names()
    place = order.index("l2_backward")
    assert order[place - 1] == "lenet5_forward_backward" and order[place + 1] == "inverted_dropout"
    assert "notebook 03_lenet5_mnist; 3 cases" in str(exercises.info("l2_backward"))


@pytest.mark.parametrize(
    "name, held_by",
    [
        ("col2im", "minicnn's own exercise (notebook 02_convolution_im2col)"),
        ("l2_backward", f"the exercise registered from {__file__}"),
    ],
)
def test_a_name_taken_is_refused_in_one_line(name, held_by):
    first = exercises.register(exercise(150))
    held = exercises.info(name)
    with pytest.raises(ValueError) as refused:
        exercises.register(exercise(160, name=name))
    assert str(refused.value) == (
        f"exercises.register: the name {name!r} is taken by {held_by}; give yours another name, or "
        "register(ex, replace=True) to put yours in its place"
    )
    assert exercises.info(name) is held and exercises.info("l2_backward") is first


def test_replace_puts_it_in_the_place_of_the_one_that_held_the_name(capsys):
    exercises.register(exercise(170))
    order = exercises.names()
    exercises.register(exercise(180, cases=[Case(180, dict(N=2, D=3))]), replace=True)
    exercises.check("l2_backward", right)
    assert capsys.readouterr().out == "l2_backward: passed (1 case)\n"
    col2im = exercises.info("col2im")
    mine = exercises.register(exercise(190, name="col2im", notebook=col2im.notebook), replace=True)
    assert exercises.info("col2im") is mine and exercises.names() == order  # in its place
    with pytest.raises(exercises.ExerciseFailed):  # col2im's name, l2_backward's cases
        exercises.check("col2im", lambda *args: np.zeros(1))


def test_the_same_exercise_registered_twice_is_no_clash():
    ex = exercise(200)
    assert exercises.register(ex) is ex and exercises.register(ex) is ex
    assert exercises.names().count("l2_backward") == 1


@pytest.mark.parametrize(
    "changes, says",
    [
        (dict(name="l2-backward"), "name must be a Python function name"),
        (dict(name="class"), "name must be a Python function name"),
        (dict(name="all"), "'all' is taken by python -m minicnn check all"),
        (dict(signature="gy, x"), 'signature must be the parameters in parentheses, such as "(gy, x_shape)"'),
        (dict(signature="(gy, x"), "signature must be the parameters in parentheses"),
        (dict(signature="(gy, *x)"), "signature must be plain parameter names (no defaults, *args"),
        (dict(signature="(gy, x=1)"), "signature must be plain parameter names"),
        (dict(signature="(gy: int, x)"), "signature must be plain parameter names"),
        (dict(returns="gx"), "returns must be a tuple of the outputs' names, such as (\"gx\",), got 'gx'"),
        (dict(returns=()), "returns must be a tuple"),
        (dict(teaches=""), "teaches must be one line on what writing it teaches"),
        (dict(teaches="two\nlines"), "teaches must be one line"),
        (dict(doc='has """ inside'), 'doc must not hold """'),
        (dict(notebook=""), "notebook must be a notebook's name or None"),
        (dict(cases=[]), "cases must be a non-empty list of Case(seed, params)"),
        (dict(cases=[(1, {})]), "case 1 must be a Case(seed, params)"),
        (dict(cases=[Case(-1, dict(N=2, D=2))]), "case 1's seed must be a non-negative int, got -1"),
        (
            dict(cases=[Case(3, dict(N=2, D=2)), Case(4, dict(N=2, K=2))]),
            "make cannot take case 2's parameters (rng, N=2, K=2): _make(rng, N, D): ",
        ),
        (dict(make=None), "make must be a function make(rng, **params)"),
        (dict(expected=None), "expected is None and so is judge"),
        (dict(expected=lambda gy: gy), "expected must take (gy, x): <lambda>(gy): too many positional"),
        (dict(judge=lambda got: None), "judge must take (args, got)"),
        (dict(slow=3), "slow must take (run, progress): it is not a function"),
        (dict(explain=lambda key: ""), "explain must take (args, key)"),
        (dict(mistakes=[HINT]), "mistake 1 must be a Mistake(hint, compute)"),
        (dict(mistakes=[Mistake("", right)]), "mistake 1 must be a Mistake(hint, compute) with a hint"),
        (dict(mistakes=[Mistake(HINT, lambda x: x)]), "mistake 1's compute must take (gy, x) as expected"),
    ],
)
def test_register_refuses_what_cannot_work_in_one_line_naming_it(changes, says):
    before = exercises.names()
    with pytest.raises(ValueError) as refused:
        exercises.register(exercise(210, **changes))
    message = str(refused.value)
    assert message.startswith("exercises.register: ") and says in message, message
    assert "\n" not in message
    assert exercises.names() == before


def test_register_refuses_what_is_no_exercise():
    with pytest.raises(TypeError, match=r"^exercises\.register: expected an Exercise .*, got dict$"):
        exercises.register(dict(name="l2_backward"))


def test_an_exercise_left_without_a_field_is_pythons_type_error():
    with pytest.raises(TypeError, match="missing 1 required positional argument: 'doc'"):
        Exercise(
            name="l2_backward",
            signature="(gy, x)",
            returns=("gx",),
            teaches="t",
            make=_make,
            expected=None,
            cases=[],
        )


def test_minicnns_own_exercises_pass_what_register_asks():
    for name in exercises.names():
        assert registry._problem(exercises.info(name)) is None, name


@pytest.mark.parametrize(
    "changes, says",
    [
        (
            dict(make=lambda rng, N, D: (rng.standard_normal(N),)),
            "l2_backward: its make returned 1 argument on case 1 of 3; the signature (gy, x) takes 2, "
            "as a tuple",
        ),
        (
            dict(make=lambda rng, N, D: rng.standard_normal(N)),
            "l2_backward: its make returned a ndarray on case 1 of 3",
        ),
        (dict(make=lambda rng, N, D: 1 / 0), "l2_backward: its make raised ZeroDivisionError on case 1 of 3"),
        (
            dict(expected=lambda gy, x: gy[5]),
            "l2_backward: its expected raised IndexError on case 1 of 3: index 5",
        ),
        (
            dict(expected=lambda gy, x: gy, returns=("gx", "gy2"), mistakes=[]),
            "l2_backward: its expected answer on case 1 of 3: expected a tuple (gx, gy2), got a ndarray",
        ),
    ],
)
def test_an_exercise_whose_own_code_fails_is_broken_and_the_student_not_blamed(changes, says):
    exercises.register(exercise(220, **changes))
    with pytest.raises(exercises.ExerciseBroken) as broken:
        exercises.check("l2_backward", lambda gy, x: (right(gy, x), gy))
    assert str(broken.value).startswith(says), str(broken.value)
    assert isinstance(broken.value, ValueError) and not isinstance(broken.value, exercises.ExerciseFailed)
