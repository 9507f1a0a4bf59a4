"""Sequential, ModuleList and ModuleDict as PyTorch's: indexing, slicing, deleting, inserting,
joining and repeating; and how modules print."""

import collections

import numpy as np
import pytest
from module_nets import Net

import minicnn as mc
from minicnn import nn


def test_repr_matches_pytorch_layout():
    net = Net()
    assert repr(net) == (
        "Net(\n"
        "  (features): Sequential(\n"
        "    (0): Linear(in_features=4, out_features=6, bias=True)\n"
        "    (1): ReLU()\n"
        "    (2): Linear(in_features=6, out_features=5, bias=True)\n"
        "  )\n"
        "  (bn): Stats()\n"
        "  (fc1): Linear(in_features=5, out_features=3, bias=True)\n"
        ")"
    )
    assert repr(nn.Flatten()) == "Flatten(start_dim=1, end_dim=-1)"
    assert repr(nn.ReLU(inplace=True)) == "ReLU(inplace=True)"


def test_sequential_and_module_list_delete_pop_insert_and_join_as_pytorch():
    """PyTorch renumbers the children after a deletion or an insertion."""
    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 4), nn.Tanh())
    del seq[-1]
    assert [type(m).__name__ for m in seq] == ["Linear", "ReLU", "Linear"]
    assert isinstance(seq.pop(1), nn.ReLU)
    assert list(seq.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias"]
    seq.insert(1, nn.ReLU())
    assert list(seq.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    seq += [nn.Tanh()]
    joined = seq + nn.Sequential(nn.ReLU())
    assert len(seq) == 4 and len(joined) == 5 and isinstance(joined, nn.Sequential)
    del seq[1:]
    assert len(seq) == 1
    with pytest.raises(IndexError, match="Sequential: index 3 is out of range for 1 modules"):
        del seq[3]
    layers = nn.ModuleList([nn.ReLU(), nn.Tanh(), nn.Linear(1, 1)])
    del layers[0]
    assert [type(m).__name__ for m in layers] == ["Tanh", "Linear"] and "1.weight" in layers.state_dict()
    assert len(layers + layers) == 4


def test_sequential_indexing_slicing_and_names():
    seq = nn.Sequential(nn.Linear(4, 3), nn.Tanh(), nn.Linear(3, 2))
    assert len(seq) == 3 and seq[-1] is seq[2] and list(seq) == [seq[0], seq[1], seq[2]]
    head = seq[1:]
    assert isinstance(head, nn.Sequential) and list(head._modules) == ["1", "2"] and head[0] is seq[1]
    with pytest.raises(IndexError):
        seq[3]
    seq.append(nn.Sigmoid())
    assert list(seq._modules) == ["0", "1", "2", "3"]
    new = nn.Linear(3, 7)
    seq[2] = new  # swap a head, as in fine-tuning
    assert seq[2] is new and [n for n, _ in seq.named_parameters()][-1] == "2.bias"
    x = mc.tensor(np.ones((5, 4), dtype=np.float32))
    assert seq(x).shape == (5, 7)
    named = nn.Sequential(collections.OrderedDict([("conv", nn.Linear(2, 2)), ("act", nn.ReLU())]))
    assert list(named.state_dict()) == ["conv.weight", "conv.bias"]


def test_module_list_and_module_dict():
    layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    layers.append(nn.Linear(2, 1))
    assert len(layers) == 4 and isinstance(layers[1:], nn.ModuleList)
    assert [n for n, _ in layers.named_parameters()][-1] == "3.bias"
    layers.insert(0, nn.Identity())
    assert isinstance(layers[0], nn.Identity) and len(layers) == 5 and layers[4].out_features == 1
    heads = nn.ModuleDict({"cls": nn.Linear(2, 3), "box": nn.Linear(2, 4)})
    assert list(heads) == ["cls", "box"] and "box" in heads and heads["box"].out_features == 4
    assert list(heads.state_dict()) == ["cls.weight", "cls.bias", "box.weight", "box.bias"]
    del heads["cls"]
    assert list(heads.keys()) == ["box"]


def test_module_dict_clear_empties_it_as_pytorch():
    heads = nn.ModuleDict({"cls": nn.Linear(2, 3), "box": nn.Linear(2, 4)})
    assert heads.clear() is None
    assert len(heads) == 0 and list(heads.parameters()) == [] and heads.state_dict() == {}
    assert "cls" not in heads and not hasattr(heads, "cls")
    heads["cls"] = nn.Linear(2, 5)
    assert list(heads.state_dict()) == ["cls.weight", "cls.bias"]
    heads.update([("box", nn.ReLU())])  # pairs, as a dict's update takes
    assert list(heads.keys()) == ["cls", "box"] and isinstance(heads.pop("box"), nn.ReLU)


def test_module_list_folds_a_run_of_children_that_print_alike():
    blocks = nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2), nn.Linear(2, 2), nn.ReLU()])
    assert repr(blocks) == (
        "ModuleList(\n  (0-2): 3 x Linear(in_features=2, out_features=2, bias=True)\n  (3): ReLU()\n)"
    )
    nested = nn.ModuleList([nn.Sequential(nn.ReLU()), nn.Sequential(nn.ReLU())])
    assert repr(nested) == "ModuleList(\n  (0-1): 2 x Sequential(\n    (0): ReLU()\n  )\n)"
    assert repr(nn.ModuleList()) == "ModuleList()"
    seq = nn.Sequential(nn.ReLU(), nn.ReLU())  # as PyTorch: a Sequential is not folded
    assert repr(seq) == "Sequential(\n  (0): ReLU()\n  (1): ReLU()\n)"


def test_sequential_times_n_repeats_the_same_modules():
    block = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
    for twice in (block * 2, 2 * block):
        assert len(twice) == 4 and twice[0] is twice[2] is block[0] and twice is not block
        assert [n for n, _ in twice.named_parameters()] == ["0.weight", "0.bias"]  # shared
    same = block
    block *= 3
    assert block is same and len(block) == 6 and block[4] is block[0]
    with pytest.raises(ValueError, match="positive"):
        block * 0
    with pytest.raises(TypeError):
        block * 1.5
