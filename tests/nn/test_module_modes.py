"""nn.Module's modes and casts: train() and eval() through every module, dtypes and devices,
gradients zeroed or frozen, and deep copies."""

import copy

import numpy as np
import pytest
from module_nets import Net, x64

import minicnn as mc
from minicnn import nn


def test_train_and_eval_reach_every_module():
    net = Net()
    assert all(m.training for m in net.modules())
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net.features.train()
    assert net.features[1].training and not net.fc1.training
    with pytest.raises(ValueError, match="bool"):
        net.train("yes")


def test_double_and_float_convert_parameters_and_float_buffers_in_place():
    net = Net()
    w = net.fc1.weight
    w.grad = mc.tensor(np.ones((3, 5), dtype=np.float32))
    assert net.double() is net
    assert net.fc1.weight is w and w.dtype == np.float64 and w.grad.dtype == np.float64
    assert net.bn.running_mean.dtype == np.float64
    assert net.bn.num_batches_tracked.dtype == np.int64  # integer buffers keep their dtype
    assert net(mc.tensor(np.ones((2, 4)))).dtype == np.float64
    net.float()
    assert all(p.dtype == np.float32 for p in net.parameters())
    assert net.to(np.float64).fc1.weight.dtype == np.float64
    assert net.to("cpu").fc1.weight.dtype == np.float64
    with pytest.raises(TypeError, match="floating-point"):
        net.to(np.int32)
    with pytest.raises(ValueError, match=r"^Module\.to: unknown device 'tpu:0': expected 'cpu' or 'cuda'$"):
        net.to("tpu:0")
    with pytest.raises(ValueError, match=r"^Module\.to: unknown device 'gpu': expected 'cpu' or 'cuda'$"):
        net.to(device="gpu")
    net.float()
    with pytest.raises(ValueError, match=r"^Module\.to: unknown device 'gpu'"):
        net.to("gpu", np.float64)
    assert all(p.dtype == np.float32 for p in net.parameters())  # refused before any cast
    with pytest.raises(ValueError, match="neither a device"):
        net.to(3)
    assert net.to("float64").fc1.weight.dtype == np.float64  # a dtype's name, as x.to("float64")


def test_zero_grad_sets_none_and_requires_grad_freezes():
    net = Net().double()
    net(x64(2, 4)).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    net.features.requires_grad_(False)
    net(x64(2, 4)).sum().backward()
    assert net.features[0].weight.grad is None and net.fc1.weight.grad is not None


def test_deepcopy_gives_an_independent_model():
    net = Net()
    twin = copy.deepcopy(net)
    twin.fc1.weight.data += 1
    assert not np.array_equal(twin.fc1.weight.data, net.fc1.weight.data)
    assert [n for n, _ in twin.named_parameters()] == [n for n, _ in net.named_parameters()]


def test_half_precision_is_refused_when_a_model_is_cast():
    with pytest.raises(TypeError, match="Module.to: minicnn computes in float32 or float64, got float16"):
        nn.Linear(2, 2).to(np.float16)
