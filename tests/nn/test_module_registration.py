"""nn.Module's registration: parameters, buffers and children by assignment, their dotted names,
the errors of registering wrongly, and looking them up by name."""

import numpy as np
import pytest
from module_nets import Net, Stats

import minicnn as mc
from minicnn import nn


def test_parameters_modules_and_buffers_are_registered_by_assignment():
    net = Net()
    names = [n for n, _ in net.named_parameters()]
    assert names == [
        "features.0.weight",
        "features.0.bias",
        "features.2.weight",
        "features.2.bias",
        "bn.weight",
        "fc1.weight",
        "fc1.bias",
    ]
    assert [n for n, _ in net.named_buffers()] == ["bn.running_mean", "bn.num_batches_tracked", "bn.scratch"]
    assert [n for n, _ in net.named_children()] == ["features", "bn", "fc1"]
    assert [n for n, _ in net.named_modules()] == [
        "",
        "features",
        "features.0",
        "features.1",
        "features.2",
        "bn",
        "fc1",
    ]
    assert len(list(net.parameters())) == 7 and len(list(net.modules())) == 7
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in net.parameters())


def test_buffers_are_tensors_without_grad_holding_the_array():
    bn = Stats(3)
    assert isinstance(bn.running_mean, mc.Tensor) and not bn.running_mean.requires_grad
    assert isinstance(bn.running_mean.data, np.ndarray) and bn.running_mean.data.shape == (3,)
    bn.running_mean = np.full(3, 2.0)  # assigning to a buffer's name replaces the buffer
    assert "running_mean" in bn._buffers and bn.running_mean.data.tolist() == [2.0] * 3
    with pytest.raises(TypeError, match="buffer 'running_mean'"):
        bn.running_mean = "nope"


def test_shared_parameters_are_listed_once():
    class Tied(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(3, 3)
            self.b = nn.Linear(3, 3)
            self.b.weight = self.a.weight

    tied = Tied()
    assert [n for n, _ in tied.named_parameters()] == ["a.weight", "a.bias", "b.bias"]
    assert len(list(tied.named_parameters(remove_duplicate=False))) == 4


def test_registration_errors():
    class Early(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(np.ones(2))  # before super().__init__()

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Early()
    lin = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="as parameter 'weight'"):
        lin.weight = mc.tensor(np.ones((2, 2)))  # a plain Tensor is not a Parameter
    with pytest.raises(KeyError, match="contain"):
        lin.register_parameter("a.b", None)
    with pytest.raises(KeyError, match="already exists"):
        lin.register_buffer("forward", np.zeros(1))
    with pytest.raises(TypeError, match="not a Module"):
        lin.add_module("x", 3)
    with pytest.raises(AttributeError, match="'Linear' object has no attribute 'nope'"):
        _ = lin.nope


def test_none_parameter_and_module_slots():
    lin = nn.Linear(3, 2, bias=False)
    assert lin.bias is None and "bias" in lin._parameters
    assert [n for n, _ in lin.named_parameters()] == ["weight"]
    assert list(lin.state_dict()) == ["weight"]
    del lin.weight
    assert list(lin.named_parameters()) == []


def test_children_learn_their_dotted_names_even_when_nested_later():
    inner = nn.Sequential(nn.Linear(2, 2))
    assert inner[0]._name == "0"
    outer = nn.Module()
    outer.features = inner  # renamed once it becomes a child
    assert inner._name == "features" and inner[0]._name == "features.0"
    assert inner[0]._label() == "Linear at 'features.0'" and nn.Linear(1, 1)._label() == "Linear"
    net = Net()
    with pytest.raises(
        ValueError,
        match=r"^Linear at 'features\.0': x has 7 features but weight expects 4; "
        r"x \(2, 7\), weight \(6, 4\)$",
    ):
        net(mc.tensor(np.ones((2, 7), dtype=np.float32)))


def test_get_submodule_and_apply():
    net = Net()
    assert net.get_submodule("features.2") is net.features[2]
    assert net.get_submodule("") is net
    with pytest.raises(AttributeError, match="no submodule '9'"):
        net.get_submodule("features.9")
    seen = []
    net.apply(lambda m: seen.append(type(m).__name__))
    assert seen == ["Linear", "ReLU", "Linear", "Sequential", "Stats", "Linear", "Net"]


def test_assigning_over_a_child_or_parameter_keeps_its_place():
    """As PyTorch: a Sequential runs its slots in order, so a layer assigned over slot 0 must
    stay first (it once moved to the end, after the ReLU); state_dict keeps its key order."""
    s = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
    setattr(s, "0", nn.Linear(2, 3))
    assert list(s._modules) == ["0", "1"] and isinstance(s[0], nn.Linear)
    x = mc.tensor(np.array([[1.0, -2.0]], dtype=np.float32))
    assert (s(x).numpy() >= 0).all()  # the ReLU still runs last
    lin = nn.Linear(2, 3)
    lin.weight = nn.Parameter(np.zeros((3, 2), np.float32))
    assert list(lin.state_dict()) == ["weight", "bias"]


def test_get_parameter_get_buffer_dir_and_half():
    net = Net()
    assert net.get_parameter("features.0.weight") is net.features[0].weight
    assert net.get_buffer("bn.running_mean") is net.bn.running_mean
    with pytest.raises(AttributeError, match=r"^Linear at 'features\.0' has no parameter 'nope'"):
        net.get_parameter("features.0.nope")
    with pytest.raises(AttributeError, match="has no buffer 'weight'"):
        net.get_buffer("bn.weight")  # a parameter is not a buffer
    assert {"features", "bn", "fc1", "forward"} <= set(dir(net))
    assert {"weight", "running_mean", "scratch"} <= set(dir(net.bn))
    with pytest.raises(TypeError, match="float32 or float64"):
        net.half()
