import os
import pathlib
import sys

import numpy as np
import pytest

import minicnn as mc
from minicnn import models, nn
from minicnn.compare import compare, weight_depth
from minicnn.weights import convert_weights, load_torchvision, read_safetensors, write_safetensors

sys.path.insert(0, str(pathlib.Path(__file__).parents[1] / "fixtures"))
from gen_torchvision import MODELS, fill_state  # noqa: E402  (NumPy only; torch is imported lazily)


def _filled(name):
    kwargs, _, seed = MODELS[name]
    net = getattr(models, name)(**kwargs).eval()
    state = net.state_dict()
    values = fill_state([(k, v.shape) for k, v in state.items()], seed)
    for key in state:
        if key.endswith("num_batches_tracked"):
            values[key] = state[key]
    net.load_state_dict(values)
    return net


@pytest.mark.parametrize(
    "name",
    [
        "resnet18",
        "googlenet",
        pytest.param("resnet50", marks=pytest.mark.slow),
        pytest.param("alexnet", marks=pytest.mark.slow),
        pytest.param("vgg11_bn", marks=pytest.mark.slow),
    ],
)
def test_logits_equal_torchvision_s(golden, name):
    g = golden("torchvision")
    net = _filled(name)
    assert sum(p.numel() for p in net.parameters()) == int(g[f"{name}_params"])
    with mc.no_grad():
        y = net(mc.tensor(g[f"{name}_x"])).numpy()
    np.testing.assert_allclose(y, g[f"{name}_logits"], rtol=1e-3, atol=1e-4)


def test_compare_small_models():
    rows = compare(
        [
            ("LeNet-5", lambda: models.lenet5("1998"), (1, 32, 32)),
            ("ResNet-20", models.resnet20(), (3, 32, 32)),
        ]
    )
    lenet, resnet = rows
    assert lenet["year"] == 1998 and lenet["top5_error"] is None
    assert lenet["weight_layers"] == 5 and lenet["conv_kernels"] == ["5x5"]
    assert lenet["fc_layers"] == 2 and lenet["fc_sizes"] == [84, 10]
    assert lenet["params"] == 60_850 and not lenet["dropout"] and not lenet["batch_norm"]
    assert resnet["weight_layers"] == 20 and resnet["batch_norm"]
    text = str(rows)
    assert "LeNet-5" in text and "n/a" in text and "weight layers" in text
    assert "transposed" not in text and "layer norm" not in text and "group norm" not in text


class UpDown(nn.Module):
    """A small encoder-decoder with the layers no classic net has."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.norm = nn.GroupNorm(2, 8)
        self.pool = nn.MaxPool2d(2, return_indices=True)
        self.unpool = nn.MaxUnpool2d(2)
        self.up = nn.ConvTranspose2d(8, 4, 2, stride=2)
        self.ln = nn.LayerNorm((4, 16, 16))  # a 3-D weight, and not a weight layer's
        self.head = nn.Sequential(nn.AdaptiveMaxPool2d(1), nn.Flatten(), nn.Linear(4, 10))

    def forward(self, x):
        y, indices = self.pool(self.norm(self.conv(x)))
        return self.head(self.ln(self.up(self.unpool(y, indices))))


def test_compare_names_transposed_kernels_and_layer_and_group_norm_where_a_model_has_them():
    rows = compare([("LeNet-5", lambda: models.lenet5("1998"), (1, 32, 32)), ("UpDown", UpDown(), (3, 8, 8))])
    lenet, updown = rows
    assert updown["weight_layers"] == 3  # conv, up, the linear head
    assert updown["conv_kernels"] == ["3x3"] and updown["transposed_kernels"] == ["2x2"]
    assert updown["fc_sizes"] == [10] and not updown["conv_1x1"]
    assert updown["layer_norm"] and updown["group_norm"] and not updown["batch_norm"] and not updown["lrn"]
    assert lenet["transposed_kernels"] == [] and not lenet["layer_norm"] and not lenet["group_norm"]
    lines = {line.split("  ")[0]: line.split() for line in str(rows).splitlines()}
    assert lines["transposed conv kernels"][-1] == "2x2" and lines["conv kernels"][-2:] == ["5x5", "3x3"]
    assert lines["layer norm"][-2:] == lines["group norm"][-2:] == ["no", "yes"]


def test_compare_counts_sync_batch_norm_as_batch_norm():
    from minicnn.distributed.sync_bn import SyncBatchNorm

    net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.Flatten(), nn.Linear(8, 2))
    (row,) = compare([("sync", SyncBatchNorm.convert_sync_batchnorm(net), (1, 4, 4))])
    assert row["batch_norm"] and row["weight_layers"] == 2


@pytest.mark.slow
def test_compare_alexnet_at_227():
    (row,) = compare([("AlexNet", lambda: models.alexnet("paper"), (3, 227, 227))])
    assert row["weight_layers"] == 8 and row["top5_error"] == 16.4
    assert row["conv_kernels"] == ["11x11", "5x5", "3x3"]
    assert row["fc_sizes"] == [4096, 4096, 1000] and row["dropout"] and row["lrn"]
    assert row["params"] == 60_965_224
    assert 0.6e9 < row["macs"] < 0.8e9  # ~0.72G with the two towers


def test_weight_depth_counts_the_longest_chain():
    net = models.googlenet(variant="torchvision", aux_logits=False, num_classes=10).eval()
    out = net(mc.tensor(np.zeros((1, 3, 32, 32), np.float32)))
    assert weight_depth(out, list(net.parameters())) == 22  # the paper's 22 layers


def test_safetensors_round_trip(tmp_path):
    state = {
        "a.weight": np.arange(6, dtype=np.float32).reshape(2, 3),
        "a.num_batches_tracked": np.array(3, dtype=np.int64),
        "b": np.ones(4, dtype=np.float64),
    }
    path = tmp_path / "w.safetensors"
    write_safetensors(state, path)
    back = load_torchvision(path)
    assert list(back) == list(state)
    for k in state:
        assert back[k].dtype == state[k].dtype and back[k].shape == state[k].shape
        np.testing.assert_array_equal(back[k], state[k])
    raw = path.read_bytes()
    n = int.from_bytes(raw[:8], "little")
    assert raw[8:9] == b"{" and (8 + n) % 8 == 0


@pytest.mark.parametrize(
    "key, error, match",
    [
        ("__metadata__", ValueError, "is a name the file format keeps for itself"),
        ("fc\udc80.weight", ValueError, "UTF-8 cannot encode"),
        (3, TypeError, "is of type int, not str"),
    ],
)
def test_safetensors_keys_the_file_could_not_give_back_are_refused(tmp_path, key, error, match):
    path = tmp_path / "w.safetensors"
    with pytest.raises(error, match=f"write_safetensors: key .* {match}"):
        write_safetensors({"a": np.zeros(2, np.float32), key: np.ones(2, np.float32)}, path)
    assert not path.exists()


def test_safetensors_bfloat16(tmp_path):
    import json

    values = np.array([1.0, -2.5, 0.15625], dtype=np.float32)
    body = (values.view(np.uint32) >> 16).astype("<u2").tobytes()
    header = json.dumps({"x": {"dtype": "BF16", "shape": [3], "data_offsets": [0, 6]}}).encode()
    path = tmp_path / "bf.safetensors"
    path.write_bytes(len(header).to_bytes(8, "little") + header + body)
    np.testing.assert_array_equal(read_safetensors(path)["x"], values)


def test_convert_and_load_into_a_model(tmp_path):
    net = models.lenet5()
    np.savez(tmp_path / "a.npz", **net.state_dict())
    assert convert_weights(tmp_path / "a.npz", tmp_path / "b.safetensors") == 10
    other = models.lenet5()
    other.load_state_dict(load_torchvision(tmp_path / "b.safetensors"))
    np.testing.assert_array_equal(other.state_dict()["0.weight"], net.state_dict()["0.weight"])


def test_bad_paths(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file"):
        load_torchvision(tmp_path / "missing.npz")
    (tmp_path / "w.h5").write_bytes(b"x")
    with pytest.raises(ValueError, match="expected .npz, .safetensors or .pth"):
        load_torchvision(tmp_path / "w.h5")
    (tmp_path / "w.safetensors").write_bytes(b"\xff" * 12)
    with pytest.raises(ValueError, match="header length"):
        load_torchvision(tmp_path / "w.safetensors")


FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures")


def test_pth_is_read_without_torch(golden):
    """tiny_state.pth was written by torch.save (gen_pth.py): float32, a non-contiguous
    float64, int64, float16 and bfloat16 tensors and a Parameter."""
    state = load_torchvision(os.path.join(FIXTURES, "tiny_state.pth"))
    expected = golden("pth")
    assert list(state) == ["conv.weight", "fc.weight_t", "bn.num_batches_tracked", "half", "bf16"]
    for key, value in expected.items():
        assert state[key].dtype == (np.float32 if key == "bf16" else value.dtype), key
        np.testing.assert_array_equal(state[key], value, err_msg=key)


def test_pth_refuses_code_and_junk(tmp_path):
    import pickle
    import zipfile

    class Evil:
        def __reduce__(self):
            return (os.system, ("echo owned",))

    path = tmp_path / "evil.pth"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("evil/data.pkl", pickle.dumps({"w": Evil()}, protocol=2))
    with pytest.raises(mc.io.CheckpointError, match=r"refusing to load (posix|nt)\.system"):
        load_torchvision(path)
    (tmp_path / "w.pth").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="not a zip-format .pth"):
        load_torchvision(tmp_path / "w.pth")


def test_convert_weights_from_pth(tmp_path):
    dst = tmp_path / "w.npz"
    assert convert_weights(os.path.join(FIXTURES, "tiny_state.pth"), dst) == 5
    assert load_torchvision(dst)["conv.weight"].shape == (4, 3, 3, 3)


def test_each_format_is_told_by_its_content_whatever_the_files_name(tmp_path):
    import shutil

    from minicnn.weights import write_safetensors

    state = {"w": np.arange(6, dtype=np.float32).reshape(2, 3)}
    write_safetensors(state, tmp_path / "a.safetensors")
    shutil.copy(tmp_path / "a.safetensors", tmp_path / "a.weights")
    shutil.copy(os.path.join(FIXTURES, "tiny_state.pth"), tmp_path / "b.npz")
    np.testing.assert_array_equal(load_torchvision(tmp_path / "a.weights")["w"], state["w"])
    assert list(load_torchvision(tmp_path / "b.npz")) == list(
        load_torchvision(os.path.join(FIXTURES, "tiny_state.pth"))
    )
    (tmp_path / "c.weights").write_bytes(b"neither zip nor header")
    with pytest.raises(
        ValueError, match=r"c.weights is not a weights file it reads, by its content or its name"
    ):
        load_torchvision(tmp_path / "c.weights")
