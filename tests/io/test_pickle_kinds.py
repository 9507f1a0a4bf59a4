"""Pickles crafted to hang the C unpickler, or to make a message gigabytes long, are refused by name.

Each .pth or CIFAR-10 batch here is a few kilobytes written opcode by opcode. Those that
would hang (hashing inside the C unpickler, where Ctrl-C never runs) or fill memory if
they were not refused are read by the command line in a child process held to a time and
memory limit (conftest's ``cli_error_line``), so that a regression fails the test and does not
hold up CI; the rest are read in-process.
"""

import collections
import pickle
import struct
import zipfile

import pytest

from minicnn.data import CIFAR10, DataFileError
from minicnn.io import CheckpointError, set_read_limit
from minicnn.safepickle import check_stream, shown
from minicnn.weights import load_torchvision

# --- opcodes ----------------------------------------------------------------------------------


def _str(s):
    b = s.encode()
    return b"X" + struct.pack("<I", len(b)) + b


def _int(n):
    return b"J" + struct.pack("<i", n)


def _long(n):
    enc = pickle.encode_long(n)
    return b"\x8b" + struct.pack("<i", len(enc)) + enc  # LONG4


def _put(i):
    return b"r" + struct.pack("<I", i)


def _get(i):
    return b"j" + struct.pack("<I", i)


def _global(module, name):
    return f"c{module}\n{name}\n".encode()


def _pid(floats=4):
    """The persistent id of storage '0', of ``floats`` float32."""
    return (
        b"("
        + _str("storage")
        + _global("torch", "FloatStorage")
        + _str("0")
        + _str("cpu")
        + _int(floats)
        + b"tQ"
    )


def _tensor(size=None, stride=None, floats=4):
    """_rebuild_tensor_v2(storage '0', 0, size, stride, False): the whole storage by default."""
    size = b"(" + _int(floats) + b"t" if size is None else size
    stride = b"(" + _int(1) + b"t" if stride is None else stride
    return (
        _global("torch._utils", "_rebuild_tensor_v2")
        + b"("
        + _pid(floats)
        + _int(0)
        + size
        + stride
        + b"\x89tR"
    )


def _pth(path, pickled, floats=4):
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("archive/data.pkl", b"\x80\x02" + pickled + b".")
        z.writestr("archive/byteorder", "little")
        z.writestr("archive/data/0", bytes(4 * floats))
    return path


def _cifar(folder, pickled):
    path = folder / "cifar-10-batches-py" / "data_batch_1"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\x80\x02" + pickled + b".")
    return path


def _tower(depth):
    """T_0 = 0, T_i = (T_{i-1}, T_{i-1}) through memo slots 0..depth; T_depth is left on the
    stack. A few bytes a level, and 2**depth steps to hash (a tuple's hash is not kept)."""
    p = _int(0) + _put(0)
    for i in range(1, depth + 1):
        p += b"0" + _get(i - 1) * 2 + b"\x86" + _put(i)
    return p


def _list_tower(depth, width=10):
    """L_0 = 'a' * 50, L_i = [L_{i-1}] * width: its repr is 52 * width**depth characters."""
    p = _str("a" * 50) + _put(0)
    for i in range(1, depth + 1):
        p += b"0]" + _put(i) + b"(" + _get(i - 1) * width + b"e"
    return p


def _train_on(folder):
    return ("train", "lenet5", "--data", f"cifar10:{folder}", "--epochs", "1", "--out", "run")


# --- the walk before the pickle runs --------------------------------------------------------------


@pytest.mark.parametrize("protocol", range(6))
def test_pickles_of_what_the_readers_hold_pass_the_walk(protocol, rng):
    n = int(rng.integers(2, 9))
    state = collections.OrderedDict((f"layer{i}.weight", [float(i)] * n) for i in range(n))
    optimizer = {"state": {i: {"step": i} for i in range(n)}, "param_groups": [{"lr": 0.1, "params": [0, 1]}]}
    shared = ("same",) * n
    for obj in (state, optimizer, [shared, shared, {-5: shared}], {"s": frozenset(range(n))}):
        check_stream(pickle.dumps(obj, protocol=protocol), CheckpointError, "x.pth")
    batch = {b"data": b"\0" * n, b"labels": list(range(n))}  # bytes keys: _codecs.encode below protocol 3
    check_stream(pickle.dumps(batch, protocol=protocol), DataFileError, "b", {"_codecs encode": "bytes"})


@pytest.mark.parametrize(
    "key, kind",
    [((1, 2), "a tuple"), (1 << 40, "a large int"), (-(1 << 31) - 1, "a large int"), (1.5, "a float")]
    + [(None, "None"), (True, "a bool"), (frozenset([1]), "(a frozenset|an object a call made)")],
)
@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_a_dict_key_that_is_not_str_bytes_or_small_int_is_refused_before_it_is_hashed(key, kind, protocol):
    for obj in ({key: 1}, {"ok": {key: 1}}, {"ok": 1, key: 2}):
        pickled = pickle.dumps(obj, protocol=protocol)
        with pytest.raises(
            CheckpointError, match=rf"^x\.pth: the pickle makes a dict key or set member of {kind};"
        ):
            check_stream(pickled, CheckpointError, "x.pth")
    if not isinstance(key, frozenset):  # a set's members: from protocol 4 on, sets have opcodes of their own
        with pytest.raises(CheckpointError, match=rf"set member of {kind};"):
            check_stream(pickle.dumps({key}, protocol=4), CheckpointError, "x.pth")


def test_an_opcode_reaching_below_its_mark_is_refused():
    with pytest.raises(
        CheckpointError, match=r"x\.pth: not a readable pickle .*SETITEM takes more than the stack"
    ):
        check_stream(b"\x80\x02}(" + _str("k") + _int(1) + b"s.", CheckpointError, "x.pth")
    with pytest.raises(CheckpointError, match=r"BINGET reads memo slot 3, which nothing stored"):
        check_stream(b"\x80\x02h\x03.", CheckpointError, "x.pth")


def test_shown_is_bounded_however_large_the_value(rng):
    n = int(rng.integers(10, 20))
    tower = "a" * 50
    for _ in range(n):  # a list tower: its repr would be 52 * 10**n characters
        tower = [tower] * 10
    assert shown(tower) == "a list of 10 items"
    assert shown(10**5000) == "an int of 16610 bits"
    assert shown("x" * 10**6, 5) == "'xxxxx'..."
    assert shown([1, "a", None]) == "[1, 'a', None]" and shown((1,)) == "(1,)"


# --- hangs and huge messages, read as a user would --------------------------------------------


def test_a_tower_of_shared_tuples_as_a_key_is_refused_before_it_is_hashed(tmp_path, cli_error_line, rng):
    depth = int(rng.integers(40, 60))
    _pth(tmp_path / "hash.pth", b"}" + _tower(depth) + _int(1) + b"s")
    _pth(tmp_path / "set.pth", b"\x8f(" + _tower(depth) + b"\x90")  # a set's member
    _pth(tmp_path / "frozen.pth", b"(" + _tower(depth) + b"\x91")
    for name, what in (("hash", "dict key or set member"), ("set", "set member"), ("frozen", "set member")):
        line = cli_error_line(tmp_path, "convert-weights", f"{name}.pth", "out.npz")
        assert line.startswith(f"python -m minicnn convert-weights: error: {name}.pth: the pickle makes a ")
        assert f"{what} of a tuple; minicnn reads only str, bytes and ints within 2**31 as keys" in line
    _cifar(tmp_path / "cifar", b"}" + _tower(depth) + _int(1) + b"s")
    line = cli_error_line(tmp_path, *_train_on("cifar"))
    assert "data_batch_1 (CIFAR-10 batch): the pickle makes a dict key or set member of a tuple" in line


def test_a_frozenset_tower_as_a_key_is_refused_before_its_name_is_made(tmp_path, cli_error_line, rng):
    # F_i = frozenset({(F_{i-1}, 0), ..., (F_{i-1}, 9)}): str(F_9) would be 50 GB
    depth = int(rng.integers(9, 12))
    p = _str("a" * 50) + _put(0)
    for i in range(1, depth + 1):
        p += b"0(" + b"".join(_get(i - 1) + _int(j) + b"\x86" for j in range(10)) + b"\x91" + _put(i)
    _pth(tmp_path / "str.pth", b"}" + p + _int(1) + b"s")
    line = cli_error_line(tmp_path, "convert-weights", "str.pth", "out.npz")
    assert line.endswith(
        "str.pth: the pickle makes a dict key or set member of a tuple; minicnn reads "
        "only str, bytes and ints within 2**31 as keys"
    )


def test_a_long_key_at_every_level_is_not_copied_into_every_name(tmp_path, cli_error_line, rng):
    """Chains of dicts 29 deep, each level keyed by one memoised key of 4 MiB: a name joined at
    each level would copy the key 435 times a chain, and hold 1.7 GiB of names at its foot."""
    chains = int(rng.integers(50, 100))
    chain = (b"}" + _get(0)) * 29 + b"N" + b"s" * 29
    top = b"}" + _str("x") + b"](" + chain * chains + b"es"
    _pth(tmp_path / "keys.pth", _str("k" * (4 << 20)) + _put(0) + b"0" + top)
    line = cli_error_line(tmp_path, "convert-weights", "keys.pth", "out.npz")
    assert line.endswith("keys.pth: expected a state dict of tensors, got a dict holding none")


def test_a_storage_key_or_dtype_code_list_tower_is_not_formatted_whole(tmp_path, cli_error_line, rng):
    depth = int(rng.integers(9, 12))
    pid = b"(" + _str("storage") + _global("torch", "FloatStorage") + _list_tower(depth) + _str("cpu")
    _pth(tmp_path / "pid.pth", pid + _int(1) + b"tQ")
    line = cli_error_line(tmp_path, "convert-weights", "pid.pth", "out.npz")
    assert line.endswith("pid.pth: malformed storage reference (key a list of 10 items, 1 elements)")
    _cifar(
        tmp_path / "cifar", _global("numpy", "dtype") + b"(" + _list_tower(depth) + _int(0) + _int(1) + b"tR"
    )
    line = cli_error_line(tmp_path, *_train_on("cifar"))
    assert line.endswith(
        "(CIFAR-10 batch): a pickled dtype whose code is a list of 10 items; "
        "a CIFAR-10 batch holds only uint8"
    )


def test_many_large_int_keys_of_one_hash_are_refused_before_the_dict_is_built(tmp_path, cli_error_line, rng):
    n = int(rng.integers(100_000, 120_000))  # 1 + i * (2**61 - 1) all hash to 1: n**2 / 2 steps
    keys = b"".join(b"\x8a\x0c" + (1 + i * (2**61 - 1)).to_bytes(12, "little") + b"K\x00" for i in range(n))
    _pth(tmp_path / "slow.pth", b"}(" + _str("w") + _tensor() + keys + b"u")
    line = cli_error_line(tmp_path, "convert-weights", "slow.pth", "out.npz")
    assert line.endswith(
        "slow.pth: the pickle makes a dict key or set member of a large int; minicnn "
        "reads only str, bytes and ints within 2**31 as keys"
    )


def test_a_shape_of_references_to_a_huge_int_is_refused_before_its_product(tmp_path, cli_error_line, rng):
    refs, bits = int(rng.integers(2000, 2500)), int(rng.integers(13_000, 14_000))
    size = _long((1 << bits) + 7) + _put(1) + b"0(" + _get(1) * refs + b"t"
    _pth(tmp_path / "bigint.pth", b"}" + _str("w") + _tensor(size, b"(" + _int(0) * refs + b"t") + b"s")
    line = cli_error_line(tmp_path, "convert-weights", "bigint.pth", "out.npz")
    assert line.endswith(f"bigint.pth: tensor 'w' has {refs} dimensions, more than the 64 a NumPy array has")
    # numpy's (shape, ...) state of a CIFAR array; math.prod of the shape ran for minutes
    state = b"(" + _int(1) + size + _global("numpy", "dtype") + b"(" + _str("u1") + _int(0) + _int(1) + b"tR"
    array = _global("numpy.core.multiarray", "_reconstruct") + b"(" + _global("numpy", "ndarray")
    array += b"(" + _int(0) + b"tC\x01btR" + state + b"\x89C\x00tb"
    _cifar(tmp_path / "cifar", b"}" + _str("data") + array + b"s")
    line = cli_error_line(tmp_path, *_train_on("cifar"))
    assert line.endswith("(CIFAR-10 batch): a pickled uint8 array with a malformed shape or order")


# --- what the rebuild functions return --------------------------------------------------------


def test_build_cannot_set_the_fields_of_a_tensor_or_storage(tmp_path):
    _pth(tmp_path / "build.pth", b"}" + _str("w") + _tensor() + b"}" + _str("storage") + _int(7) + b"sbs")
    with pytest.raises(
        CheckpointError, match=r"^\S*build\.pth: the pickle tries to set the state of a tensor$"
    ):
        load_torchvision(tmp_path / "build.pth")
    _pth(tmp_path / "storage.pth", b"}" + _str("w") + _pid() + b"}" + _str("array") + _int(7) + b"sbs")
    with pytest.raises(
        CheckpointError, match=r"storage\.pth: the pickle tries to set the state of a storage$"
    ):
        load_torchvision(tmp_path / "storage.pth")


def test_a_tensor_or_a_non_str_is_no_state_dict_key(tmp_path):
    _pth(tmp_path / "key.pth", b"}" + _tensor() + _int(1) + b"s")
    with pytest.raises(
        CheckpointError, match=r"key\.pth: the pickle makes a dict key .* of an object a call made"
    ):
        load_torchvision(tmp_path / "key.pth")
    pairs = b"](" + _tensor() + _int(1) + b"\x86e"  # OrderedDict([(tensor, 1)]): the admitted function
    _pth(tmp_path / "items.pth", _global("collections", "OrderedDict") + pairs + b"\x85R")
    with pytest.raises(
        CheckpointError, match=r"items\.pth: an OrderedDict made from items that are not \(key, value\) pairs"
    ):
        load_torchvision(tmp_path / "items.pth")
    _pth(tmp_path / "int.pth", b"}" + _int(5) + _tensor() + b"s")
    with pytest.raises(
        CheckpointError, match=r"int\.pth: a tensor's key is 5 \(int\); a state dict's keys are str$"
    ):
        load_torchvision(tmp_path / "int.pth")


def test_one_tensor_under_many_keys_is_counted_for_each(tmp_path, rng):
    n, floats = int(rng.integers(50, 100)), 1 << 14
    keys = b"".join(_str(f"k{i}") + _get(0) for i in range(n))
    _pth(tmp_path / "many.pth", b"}" + _tensor(floats=floats) + _put(0) + b"0(" + keys + b"u", floats)
    state = load_torchvision(tmp_path / "many.pth")
    assert len(state) == n and all(v.shape == (floats,) for v in state.values())
    set_read_limit(1 << 20)  # the pickle's objects and the storage (64 KiB) fit, n copies of it do not
    try:
        with pytest.raises(
            CheckpointError, match=r"many\.pth: tensor 'k\d+', which appears again .* would take"
        ):
            load_torchvision(tmp_path / "many.pth")
    finally:
        set_read_limit(None)


def test_cifar_labels_of_any_size_are_refused_in_one_line(tmp_path, rng):
    data = (
        _global("numpy.core.multiarray", "_reconstruct") + b"(" + _global("numpy", "ndarray") + b"(" + _int(0)
    )
    shape = b"(" + _int(1) + _int(3072) + b"t"
    dtype = _global("numpy", "dtype") + b"(" + _str("u1") + _int(0) + _int(1) + b"tR"
    dtype += b"(" + _int(3) + _str("|") + b"NNN" + _int(-1) + _int(-1) + _int(0) + b"tb"
    raw = b"B" + struct.pack("<I", 3072) + bytes(3072)
    data += b"tC\x01btR(" + _int(1) + shape + dtype + b"\x89" + raw + b"tb"
    label = _long(10 ** int(rng.integers(5000, 6000)))  # more digits than Python writes out
    _cifar(tmp_path, b"}(" + _str("data") + data + _str("labels") + b"]" + label + b"au")
    with pytest.raises(
        DataFileError, match=r"data_batch_1: labels must be 0\.\.9, found an int of \d+ bits\.\."
    ):
        CIFAR10(tmp_path)


@pytest.mark.parametrize("method", ["items", "get", "keys", "values"])
def test_a_method_build_sets_on_an_ordereddict_is_never_called(tmp_path, method):
    """BUILD sets an OrderedDict's attributes (torch.save's _metadata): one named as a method and set
    to an admitted global would be called by whoever calls that method on the dict; none is."""
    od = _global("collections", "OrderedDict") + b")R" + _str("w") + _tensor() + b"s"
    state = b"}" + _str(method) + _global("torch", "FloatStorage") + b"s"
    _pth(tmp_path / "method.pth", b"}" + _str("state_dict") + od + state + b"bs")
    state = load_torchvision(tmp_path / "method.pth")
    assert list(state) == ["w"] and state["w"].tolist() == [0.0] * 4
