"""A function that changes what it was given fails, naming the place: an array's values, and the
dicts, lists and tuples around them (a graph emptied, a key added), in a notebook's check and in
python -m minicnn check alike."""

import numpy as np
import pytest
import solutions as S

from minicnn import exercises
from minicnn.__main__ import main
from minicnn.exercises.grading import changed_argument

TOPO_SORT_EMPTYING_THE_GRAPH = """
def topo_sort(root, inputs):
    # Kahn's algorithm that uses up the lists of inputs as it goes
    reach, stack = {root}, [root]
    while stack:
        for p in inputs[stack.pop()]:
            if p not in reach:
                reach.add(p)
                stack.append(p)
    indegree = {n: 0 for n in reach}
    for n in reach:
        for p in inputs[n]:
            indegree[p] += 1
    ready, order = [root], []
    while ready:
        n = ready.pop()
        order.append(n)
        while inputs[n]:
            p = inputs[n].pop()
            indegree[p] -= 1
            if indegree[p] == 0:
                ready.append(p)
    return order
"""
SAYS = (
    "topo_sort changed its argument inputs['c'] on case 2 of 5 (root 'c', inputs {'c': ['b'], 'b': ['a'], "
    "'a': []}): ['b'] before the call, [] after. Leave the arguments as they were: pop, append, remove, "
    "del or d[key] = ... on a list or dict it was given change the caller's"
)


def _topo_sort_emptying_the_graph():
    namespace = {}
    exec(TOPO_SORT_EMPTYING_THE_GRAPH, namespace)
    return namespace["topo_sort"]


def test_a_topo_sort_that_empties_its_graph_fails_in_a_notebook():
    with pytest.raises(exercises.ExerciseFailed) as info:
        exercises.check("topo_sort", _topo_sort_emptying_the_graph())
    assert str(info.value).startswith(SAYS)


def test_a_topo_sort_that_empties_its_graph_fails_on_the_command_line(student_file, capsys):
    assert main(["check", "topo_sort", student_file(TOPO_SORT_EMPTYING_THE_GRAPH)]) == 1
    assert capsys.readouterr().out.startswith(SAYS)


def test_the_same_order_from_a_copy_of_the_graph_passes(capsys):
    emptying = _topo_sort_emptying_the_graph()
    exercises.check("topo_sort", lambda root, inputs: emptying(root, {k: list(v) for k, v in inputs.items()}))
    assert capsys.readouterr().out == "topo_sort: passed (5 cases)\n"


def test_a_key_added_to_lenets_params_fails_naming_it():
    def lenet5_forward_backward(params, x, labels):
        params["extra"] = 1
        return S.lenet5_forward_backward(params, x, labels)

    with pytest.raises(
        exercises.ExerciseFailed, match=r"changed its argument params on case 1 of 2 .*\['extra'\] added"
    ):
        exercises.check("lenet5_forward_backward", lenet5_forward_backward, quick=True)


@pytest.mark.parametrize(
    "before, after, found",
    [
        ([{"a": ["x", "y"]}], [{"a": ["x", "y"]}], None),
        ([{"a": ["x", "y"]}], [{"a": ["x"]}], ("g['a']", "['x', 'y'] before the call, ['x'] after")),
        ([{"a": ["x", "y"]}], [{"a": ["y", "x"]}], ("g['a'][0]", "'x' before the call, 'y' after")),
        ([{"a": []}], [{"a": [], "b": []}], ("g", "['b'] added")),
        ([{"a": [], "b": []}], [{"a": []}], ("g", "['b'] taken out")),
        ([(2, 3, 4)], [[2, 3, 4]], ("g", "(2, 3, 4) before the call, [2, 3, 4] after")),
        ([{"w": np.zeros(2)}], [{"w": np.ones(2)}], ("g['w']", None)),
        ([{"w": np.zeros(2)}], [{"w": np.zeros(2, np.float32)}], ("g['w']", None)),
        ([float("nan")], [float("nan")], None),
        ([None], [None], None),
    ],
)
def test_what_changed_is_found_through_dicts_lists_and_tuples(before, after, found):
    assert changed_argument(["g"], before, after) == found
