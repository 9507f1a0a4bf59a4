"""ParameterList and ParameterDict: registration, PyTorch's state-dict names and printing,
the list and dict methods, and what they refuse."""

import collections

import numpy as np
import pytest

import minicnn as mc
from minicnn import nn, optim


class Heads(nn.Module):
    def __init__(self):
        super().__init__()
        self.scales = nn.ParameterList([mc.ones(2), nn.Parameter(mc.zeros(3))])
        self.heads = nn.ParameterDict({"right": mc.zeros(2, 2), "left": mc.ones(2, 2)})


def test_entries_are_registered_under_pytorchs_names_and_trained():
    model = Heads()
    assert list(model.state_dict()) == ["scales.0", "scales.1", "heads.left", "heads.right"]
    assert [n for n, _ in model.named_parameters()] == list(model.state_dict())
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in model.parameters())
    (model.scales[0].sum() + model.heads["left"].sum()).backward()
    optim.SGD(model.parameters(), lr=0.5).step()
    assert model.scales[0].tolist() == [0.5, 0.5] and model.heads["left"].tolist() == [[0.5, 0.5]] * 2
    model.double()
    assert model.heads["right"].dtype == np.float64 and model.scales[1].dtype == np.float64


def test_a_tensor_becomes_a_parameter_sharing_its_array_and_other_objects_stay_as_they_are():
    t = mc.zeros(3)
    params = nn.ParameterList([t, "not a tensor", None])
    assert isinstance(params[0], nn.Parameter) and params[0].data is t.data
    assert params[1] == "not a tensor" and params[2] is None
    assert list(params.state_dict()) == ["0"]


def test_they_print_as_pytorchs():
    params = nn.ParameterList([nn.Parameter(mc.zeros(2, 3)), mc.ones(4).double(), "hi"])
    assert repr(params) == (
        "ParameterList(\n"
        "    (0): Parameter containing: [minicnn.float32 of size 2x3]\n"
        "    (1): Parameter containing: [minicnn.float64 of size 4]\n"
        "    (2): Object of type: str\n"
        ")"
    )
    assert repr(nn.ParameterList()) == "ParameterList()"
    assert repr(nn.ParameterDict({"a": mc.zeros(1)})) == (
        "ParameterDict(  (a): Parameter containing: [minicnn.float32 of size 1])"
    )
    assert "(heads): ParameterDict(\n" in repr(Heads())


def test_parameter_list_indexes_as_a_list():
    params = nn.ParameterList([mc.zeros(1), mc.zeros(2), mc.zeros(3)])
    assert params[-1].shape == (3,) and len(params) == 3
    assert [p.shape for p in params[::2]] == [(1,), (3,)] and isinstance(params[1:], nn.ParameterList)
    params[1] = mc.ones(5)
    params.append(mc.zeros(4)).extend([mc.zeros(6)])
    params += [mc.zeros(7)]
    assert [p.shape[0] for p in params] == [1, 5, 3, 4, 6, 7]
    assert list(params.state_dict()) == ["0", "1", "2", "3", "4", "5"]
    with pytest.raises(IndexError, match=r"^ParameterList: index 6 is out of range for 6 entries"):
        params[6]
    with pytest.raises(IndexError, match=r"index -7 is out of range"):
        params[-7] = mc.zeros(1)
    with pytest.raises(
        TypeError, match=r"^ParameterList.extend should be called with an iterable, but got Tensor"
    ):
        params.extend(mc.zeros(2))
    with pytest.raises(RuntimeError, match=r"^ParameterList should not be called"):
        params(mc.zeros(1))
    with pytest.raises(TypeError):
        params["0"]


def test_parameter_dict_orders_keys_as_pytorchs():
    # a plain dict goes in sorted by key; an OrderedDict, pairs or another ParameterDict in order
    assert list(nn.ParameterDict({"b": mc.zeros(1), "a": mc.zeros(1)})) == ["a", "b"]
    ordered = nn.ParameterDict(collections.OrderedDict([("b", mc.zeros(1)), ("a", mc.zeros(1))]))
    assert list(ordered) == ["b", "a"] and list(nn.ParameterDict(ordered)) == ["b", "a"]
    assert list(nn.ParameterDict([("z", mc.zeros(1)), ("y", mc.zeros(1))])) == ["z", "y"]
    assert list(reversed(ordered)) == ["a", "b"]


def test_parameter_dict_has_the_dict_methods():
    d = nn.ParameterDict(collections.OrderedDict(w=mc.ones(2), b=mc.zeros(2)))
    assert "w" in d and len(d) == 2 and d.get("nope", 3) == 3 and list(d.keys()) == ["w", "b"]
    assert [k for k, _ in d.items()] == ["w", "b"] and len(list(d.values())) == 2
    assert d.setdefault("g", mc.zeros(1)).shape == (1,) and d.setdefault("g").shape == (1,)
    assert d.pop("g").shape == (1,) and "g" not in d and list(d.state_dict()) == ["w", "b"]
    d["extra"] = "a note"
    assert d.popitem() == ("extra", "a note")
    both = d | nn.ParameterDict({"c": mc.zeros(3)})
    assert list(both) == ["w", "b", "c"] and both["w"] is d["w"] and list(d) == ["w", "b"]
    d |= {"c": mc.zeros(3)}
    assert list(d) == ["w", "b", "c"] and list(d.copy()) == ["w", "b", "c"]
    assert list(d.fromkeys(["p", "q"])) == ["p", "q"]
    del d["c"]
    d.clear()
    assert len(d) == 0 and not d.state_dict()


@pytest.mark.parametrize(
    "call, error, message",
    [
        (
            lambda d: d.__setitem__(1, mc.zeros(1)),
            TypeError,
            r"cannot be used as a key as it is not a string \(type is 'int'\)",
        ),
        (
            lambda d: d.__setitem__("a.b", mc.zeros(1)),
            KeyError,
            r"a key must be a non-empty name without a dot, got 'a.b'",
        ),
        (lambda d: d.__setitem__("update", mc.zeros(1)), KeyError, r"key 'update' would hide the attribute"),
        (lambda d: d["missing"], KeyError, r"missing"),
        (
            lambda d: d.update(5),
            TypeError,
            r"^ParameterDict.update should be called with an iterable of key/value pairs, but got int",
        ),
        (lambda d: d.update([("a", mc.zeros(1), 3)]), ValueError, r"element #0 has length 3; 2 is required"),
        (lambda d: d.update([5]), TypeError, r"element #0 should be Iterable; is int"),
        (lambda d: d(), RuntimeError, r"^ParameterDict should not be called"),
    ],
)
def test_parameter_dict_refuses_in_one_line(call, error, message):
    d = nn.ParameterDict({"a": mc.zeros(1)})
    with pytest.raises(error, match=message):
        call(d)
    assert list(d) == ["a"]  # and is left as it was
