"""nn.Module semantics: registration, dotted names, buffers, state dicts, modes, dtypes, hooks, repr."""

import collections
import copy

import numpy as np
import pytest

import minicnn as mc
from minicnn import nn


class Stats(nn.Module):
    """A stand-in for BatchNorm's bookkeeping: a parameter, float and int buffers, one not persistent."""

    def __init__(self, n):
        super().__init__()
        self.weight = nn.Parameter(np.ones(n, dtype=np.float32))
        self.register_buffer("running_mean", np.zeros(n, dtype=np.float32))
        self.register_buffer("num_batches_tracked", np.array(0, dtype=np.int64))
        self.register_buffer("scratch", np.zeros(n, dtype=np.float32), persistent=False)

    def forward(self, x):
        return x * self.weight


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 5))
        self.bn = Stats(5)
        self.fc1 = nn.Linear(5, 3)

    def forward(self, x):
        return self.fc1(self.bn(self.features(x)))


def x64(*shape, seed=0):
    return mc.tensor(np.random.default_rng(seed).standard_normal(shape))


# --- registration and names -------------------------------------------------


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


# --- state dicts --------------------------------------------------------------


def test_state_dict_keys_order_and_copies():
    net = Net()
    sd = net.state_dict()
    assert isinstance(sd, collections.OrderedDict)
    assert list(sd) == [
        "features.0.weight",
        "features.0.bias",
        "features.2.weight",
        "features.2.bias",
        "bn.weight",
        "bn.running_mean",
        "bn.num_batches_tracked",
        "fc1.weight",
        "fc1.bias",
    ]
    assert all(isinstance(v, np.ndarray) for v in sd.values())
    assert sd["bn.num_batches_tracked"].dtype == np.int64 and sd["bn.num_batches_tracked"].shape == ()
    before = sd["fc1.weight"].copy()
    net.fc1.weight.data += 1  # the saved dict must not follow training
    np.testing.assert_array_equal(sd["fc1.weight"], before)
    assert net.state_dict(keep_vars=True)["fc1.weight"] is net.fc1.weight


def test_load_state_dict_round_trip():
    mc.manual_seed(1)
    a = Net()
    mc.manual_seed(2)
    b = Net()
    x = mc.tensor(np.ones((2, 4), dtype=np.float32))
    assert not np.allclose(a(x).data, b(x).data)
    weight_array = b.fc1.weight.data
    result = b.load_state_dict(a.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    np.testing.assert_array_equal(a(x).data, b(x).data)
    assert b.fc1.weight.data is weight_array  # copied in place: optimizers keep their arrays


def test_strict_load_lists_every_missing_unexpected_and_misshaped_key():
    net = Net()
    sd = net.state_dict()
    del sd["fc1.bias"], sd["bn.running_mean"]
    sd["fc2.weight"] = np.zeros((3, 3), dtype=np.float32)
    sd["features.0.weight"] = np.zeros((6, 7), dtype=np.float32)
    sd["fc1.weight"] = np.zeros((10, 84), dtype=np.float32)
    before = net.features[2].weight.data.copy()
    sd["features.2.weight"] = before + 1
    with pytest.raises(RuntimeError) as err:
        net.load_state_dict(sd)
    msg = str(err.value)
    assert msg.startswith("Error(s) in loading state_dict for Net:")
    assert 'Missing key(s) in state_dict: "bn.running_mean", "fc1.bias".' in msg
    assert 'Unexpected key(s) in state_dict: "fc2.weight".' in msg
    assert (
        "size mismatch for features.0.weight: copying a param with shape (6, 7) from checkpoint, "
        "the shape in current model is (6, 4)."
    ) in msg
    assert "size mismatch for fc1.weight: copying a param with shape (10, 84)" in msg
    assert "the shape in current model is (3, 5)" in msg
    # nothing is copied when anything is wrong
    np.testing.assert_array_equal(net.features[2].weight.data, before)


def test_non_strict_load_reports_keys_but_still_refuses_wrong_shapes():
    net = Net()
    sd = net.state_dict()
    del sd["fc1.bias"]
    sd["extra"] = np.zeros(1)
    result = net.load_state_dict(sd, strict=False)
    assert result.missing_keys == ["fc1.bias"] and result.unexpected_keys == ["extra"]
    sd["fc1.weight"] = np.zeros((1, 1), dtype=np.float32)
    with pytest.raises(
        RuntimeError, match=r"size mismatch for fc1\.weight: copying a param with shape \(1, 1\)"
    ):
        net.load_state_dict(sd, strict=False)


def test_load_casts_float_precision_but_refuses_another_kind_of_dtype():
    net = Net()
    sd = {k: v.astype(np.float64) if v.dtype.kind == "f" else v for k, v in net.state_dict().items()}
    sd["fc1.weight"] = sd["fc1.weight"] + 0.5
    net.load_state_dict(sd)
    assert net.fc1.weight.dtype == np.float32
    np.testing.assert_allclose(net.fc1.weight.data, sd["fc1.weight"], rtol=1e-6)
    sd["bn.num_batches_tracked"] = np.array(1.5)
    with pytest.raises(
        RuntimeError,
        match="dtype mismatch for bn.num_batches_tracked: the checkpoint holds float64, the model int64",
    ):
        net.load_state_dict(sd)


def test_non_persistent_buffers_stay_out_of_state_dict():
    bn = Stats(2)
    assert "scratch" not in bn.state_dict()
    bn.load_state_dict(bn.state_dict())  # and are not asked for


# --- modes, dtypes, devices, gradients ----------------------------------------


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


# --- hooks ---------------------------------------------------------------------


def test_forward_hooks_see_inputs_and_outputs_and_can_be_removed():
    lin = nn.Linear(3, 2).double()
    calls = []
    handle = lin.register_forward_hook(lambda m, inputs, out: calls.append((m, inputs, out)))
    x = x64(4, 3)
    y = lin(x)
    assert len(calls) == 1 and calls[0][0] is lin and calls[0][1][0] is x and calls[0][2] is y
    handle.remove()
    lin(x)
    assert len(calls) == 1
    with lin.register_forward_hook(lambda m, i, o: o * 2):  # a hook may replace the output
        np.testing.assert_allclose(lin(x).data, 2 * y.data)
    np.testing.assert_allclose(lin(x).data, y.data)
    pre = lin.register_forward_pre_hook(lambda m, inputs: (inputs[0] * 0,))
    np.testing.assert_allclose(lin(x).data, np.broadcast_to(lin.bias.data, (4, 2)))
    pre.remove()


def test_hooks_find_the_first_module_whose_output_is_not_finite():
    net = Net().double()
    net.features[2].weight.data[0, 0] = np.inf
    bad = []
    handles = [
        m.register_forward_hook(
            lambda m, i, o, name=name: bad.append(name) if not np.isfinite(o.data).all() else None
        )
        for name, m in net.named_modules()
        if name
    ]
    with np.errstate(invalid="ignore", over="ignore"):
        net(x64(2, 4))
    for h in handles:
        h.remove()
    assert bad[0] == "features.2"


# --- printing --------------------------------------------------------------------


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


# --- containers ------------------------------------------------------------------


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


def _counted_bn(count=7):
    bn = nn.BatchNorm2d(3)
    bn(mc.randn(4, 3, 2, 2, seed=91))
    bn.num_batches_tracked.data[...] = count
    return bn


def test_a_plain_dict_without_batch_norms_counter_keeps_the_count_as_pytorch():
    """Checkpoints from before BatchNorm counted its batches, and any dict rebuilt without
    PyTorch's _metadata, may lack num_batches_tracked: torch 2.13 keeps the layer's own count
    (it matters with momentum=None, where the next factor is 1/count) and reports nothing."""
    bn = _counted_bn()
    state = {k: v for k, v in nn.BatchNorm2d(3).state_dict().items() if k != "num_batches_tracked"}
    state["running_mean"] = np.full(3, 0.5, np.float32)
    assert bn.load_state_dict(state) == ([], [])
    assert int(bn.num_batches_tracked.item()) == 7
    np.testing.assert_array_equal(bn.running_mean.numpy(), 0.5)
    with pytest.raises(RuntimeError, match='Missing key\\(s\\) in state_dict: "running_var"'):
        bn.load_state_dict({k: v for k, v in state.items() if k != "running_var"})
    model = nn.Sequential(nn.Linear(2, 3), _counted_bn())  # the wrong prefix, as torch: count kept
    result = model.load_state_dict({f"x.{k}": v for k, v in model.state_dict().items()}, strict=False)
    assert "1.num_batches_tracked" not in result.missing_keys and "1.running_var" in result.missing_keys
    assert int(model[1].num_batches_tracked.item()) == 7


def test_a_dict_from_state_dict_lacking_the_counter_reports_it_missing_as_pytorch():
    """state_dict() records each module's layout version in _metadata (BatchNorm's 2, which
    has the counter), as PyTorch's: such a dict without the counter is missing a key."""
    bn = _counted_bn()
    state = bn.state_dict()
    assert state._metadata == {"": {"version": 2}}
    del state["num_batches_tracked"]
    with pytest.raises(RuntimeError, match='Missing key\\(s\\) in state_dict: "num_batches_tracked"'):
        bn.load_state_dict(state)
    assert bn.load_state_dict(state, strict=False) == (["num_batches_tracked"], [])
    assert int(bn.num_batches_tracked.item()) == 7
    state._metadata[""]["version"] = 1  # saved before the counter existed: it may be missing
    assert bn.load_state_dict(state) == ([], [])
    layout = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2)).state_dict()._metadata
    assert layout == {"": {"version": 1}, "0": {"version": 1}, "1": {"version": 2}}  # torch 2.13's
    assert copy.deepcopy(state)._metadata == state._metadata


@pytest.mark.parametrize(
    "given, message",
    [
        (
            "model.pth",
            "got str 'model.pth'; load the file first: "
            "load_state_dict(mc.weights.load_torchvision('model.pth'))",
        ),
        ("best.npz", "got str 'best.npz'; load the file first: load_state_dict(mc.load('best.npz'))"),
        (nn.Linear(2, 2), "got Linear; pass its state_dict(): load_state_dict(other.state_dict())"),
        ([1, 2], "got list"),
        (None, "got None"),
    ],
)
def test_load_state_dict_of_a_path_or_a_model_says_what_to_pass(given, message):
    """PyTorch: 'Expected state_dict to be dict-like, got <class 'str'>.'; a string's characters
    were once listed as unexpected keys."""
    with pytest.raises(TypeError) as caught:
        nn.Linear(2, 2).load_state_dict(given)
    assert str(caught.value) == (
        f"Linear.load_state_dict: expected a dict of names to arrays (a state_dict), {message}"
    )


def test_load_state_dict_result_prints_as_pytorchs():
    result = nn.Linear(2, 2).load_state_dict(nn.Linear(2, 2).state_dict())
    assert repr(result) == str(result) == "<All keys matched successfully>"
    assert result == ([], []) and result.missing_keys == []
    partial = nn.Linear(2, 2).load_state_dict({"weight": np.zeros((2, 2), np.float32)}, strict=False)
    assert repr(partial) == "IncompatibleKeys(missing_keys=['bias'], unexpected_keys=[])"


def test_module_dict_clear_empties_it_as_pytorch():
    heads = nn.ModuleDict({"cls": nn.Linear(2, 3), "box": nn.Linear(2, 4)})
    assert heads.clear() is None
    assert len(heads) == 0 and list(heads.parameters()) == [] and heads.state_dict() == {}
    assert "cls" not in heads and not hasattr(heads, "cls")
    heads["cls"] = nn.Linear(2, 5)
    assert list(heads.state_dict()) == ["cls.weight", "cls.bias"]
    heads.update([("box", nn.ReLU())])  # pairs, as a dict's update takes
    assert list(heads.keys()) == ["cls", "box"] and isinstance(heads.pop("box"), nn.ReLU)


def test_half_precision_is_refused_when_a_model_is_cast():
    with pytest.raises(TypeError, match="Module.to: minicnn computes in float32 or float64, got float16"):
        nn.Linear(2, 2).to(np.float16)


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
