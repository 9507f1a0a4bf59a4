"""nn.Module's state dicts as PyTorch's: keys in order, copies, loading strictly or not, every
wrong key listed at once, dtypes, BatchNorm's batch counter and what load_state_dict is given."""

import collections
import copy

import numpy as np
import pytest
from module_nets import Net, Stats

import minicnn as mc
from minicnn import nn


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
