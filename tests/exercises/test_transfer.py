"""Values to and from the child process: .npz files that give back what was written, read without pickle."""

import math

import numpy as np
import pytest

import minicnn as mc
from minicnn.exercises import grading, transfer


def roundtrip(tmp_path, value):
    path = str(tmp_path / "value.npz")
    transfer.write(path, value)
    return transfer.read(path)


def test_arguments_and_answers_come_back_as_they_were(tmp_path):
    rng = np.random.default_rng(501)
    value = {
        "x": rng.standard_normal((2, 3)),
        "labels": rng.integers(0, 10, 4),
        "f32": rng.standard_normal(3).astype(np.float32),
        "shape": (2, 3, 5, 5),
        "none": None,
        "flags": [True, False],
        "lr": 0.1,
        "nan": float("nan"),
        "text": "n0",
        "graph": {"sum": ["add"], "add": []},
        "np_int": np.int64(1458),
        "z": 1 + 2j,
        7: "int key",
        ("a", 1): "tuple key",
    }
    got = roundtrip(tmp_path, value)
    assert set(got) == set(value)
    for key in ("x", "labels", "f32"):
        assert got[key].dtype == value[key].dtype and np.array_equal(got[key], value[key])
    assert got["shape"] == (2, 3, 5, 5) and isinstance(got["shape"], tuple)
    assert got["flags"] == [True, False] and isinstance(got["flags"][0], bool)
    assert type(got["np_int"]) is np.int64 and got["np_int"] == 1458
    assert math.isnan(got["nan"]) and got["z"] == 1 + 2j and got[("a", 1)] == "tuple key"
    assert {k: got[k] for k in ("none", "lr", "text", "graph", 7)} == {
        k: value[k] for k in ("none", "lr", "text", "graph", 7)
    }


def test_what_has_no_safe_form_comes_back_as_a_stand_in_the_messages_can_name(tmp_path):
    got = roundtrip(tmp_path, [mc.tensor(np.zeros(2)), np.array([object()] * 3), (i for i in range(2))])
    assert type(got[0]).__module__.startswith("minicnn") and type(got[0]).__name__ == "Tensor"
    assert grading.compare("gx", got[0], np.zeros(2)) == "gx is a minicnn Tensor; return a NumPy array"
    assert got[1].dtype == object and got[1].shape == (3,)
    assert repr(got[2]).startswith("<generator object")


def test_a_list_that_holds_itself_ends(tmp_path):
    loop = []
    loop.append(loop)
    got = roundtrip(tmp_path, loop)
    for _ in range(transfer.DEPTH + 1):
        got = got[0]
    assert isinstance(got, transfer.Foreign)


@pytest.mark.parametrize("content", [b"not a zip", b"PK\x03\x04 broken"])
def test_a_file_that_is_not_one_is_a_value_error(tmp_path, content):
    path = tmp_path / "out.npz"
    path.write_bytes(content)
    with pytest.raises(ValueError):
        transfer.read(str(path))


def test_an_object_array_written_by_hand_is_refused_unread(tmp_path):
    path = str(tmp_path / "out.npz")
    np.savez(path, tree=np.asarray('{"array": 0}'), a0=np.array([object()]))
    with pytest.raises(ValueError, match="dtype object"):
        transfer.read(path)


def _crafted(tmp_path, tree, arrays=None):
    """A file shaped as write's, with its tree written by hand."""
    import json

    path = str(tmp_path / "crafted.npz")
    np.savez(path, tree=np.asarray(json.dumps(tree)), **(arrays or {}))
    return path


def test_an_array_referred_to_twice_is_refused_before_it_is_given_out_again(tmp_path):
    rng = np.random.default_rng(502)
    big = {"a0": rng.standard_normal(int(rng.integers(100, 200)))}
    path = _crafted(tmp_path, {"list": [{"array": 0}] * 1000}, big)
    with pytest.raises(ValueError, match="array a0 is referred to a second time"):
        transfer.read(path)
    assert transfer.read(_crafted(tmp_path, {"list": [{"array": 0}]}, big))[0].shape == big["a0"].shape


def test_dict_keys_that_all_hash_alike_are_refused_before_the_dict_is_built(tmp_path):
    rng = np.random.default_rng(503)
    n = int(rng.integers(20_000, 30_000))  # every key hashes to 1: building the dict would be quadratic
    keys = [1 + i * (2**61 - 1) for i in range(n)]
    path = _crafted(tmp_path, {"dict": [[k, None] for k in keys]})
    with pytest.raises(ValueError, match=r"a dict key holds a number of 2\*\*31 or more"):
        transfer.read(path)
    nested = _crafted(tmp_path, {"dict": [[{"tuple": ["a", 2**40]}, 1]]})
    with pytest.raises(ValueError, match=r"2\*\*31 or more"):
        transfer.read(nested)
    small = int(rng.integers(-(2**31) + 1, 2**31))
    assert transfer.read(_crafted(tmp_path, {"dict": [[small, 1], [{"tuple": ["a", 1]}, 2]]})) == {
        small: 1,
        ("a", 1): 2,
    }


def test_an_objects_shape_of_huge_ints_is_a_stand_in_without_arithmetic_on_them(tmp_path):
    shape = [10**4000] * 3  # a product of these would be slow to form and print
    got = transfer.read(_crafted(tmp_path, {"objects": shape}))
    assert isinstance(got, transfer.Foreign) and repr(got) == "<an array of Python objects>"
