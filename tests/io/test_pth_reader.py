""".pth files from elsewhere cannot run code or reach outside their data."""

import os
import pickle
import struct
import zipfile

import numpy as np
import pytest

from minicnn.io import CheckpointError
from minicnn.weights import load_torchvision

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures")


# --- .pth written by hand, opcode by opcode, as torch.save writes it (protocol 2) ------------


def _str(s):
    b = s.encode()
    return b"X" + struct.pack("<I", len(b)) + b


def _int(n):
    enc = pickle.encode_long(n)
    return b"\x8a" + bytes([len(enc)]) + enc  # LONG1: any size, any sign


def _tuple(values):
    return b"(" + b"".join(_int(v) for v in values) + b"t"


def _key(key):
    """A state dict's key as the pickle writes it: a str, or (as a crafted file may have) an int or tuple."""
    return _str(key) if isinstance(key, str) else _tuple(key) if isinstance(key, tuple) else _int(key)


def _pth_pickle(tensors):
    """data.pkl of tensors: {key: (storage key, storage type, numel, offset, size, stride)}."""
    p = b"\x80\x02ccollections\nOrderedDict\n)R("
    for key, (skey, stype, numel, offset, size, stride) in tensors.items():
        p += _key(key) + b"ctorch._utils\n_rebuild_tensor_v2\n("
        p += b"(" + _str("storage") + f"ctorch\n{stype}\n".encode() + _str(skey) + _str("cpu")
        p += _int(numel) + b"tQ"  # the persistent id, then BINPERSID
        p += _int(offset) + _tuple(size) + _tuple(stride) + b"\x89ccollections\nOrderedDict\n)RtR"
    return p + b"u."


def _write_pth(path, tensors, storages):
    """tensors: {key: (storage key, storage type, numel, offset, size, stride)}; storages: {key: bytes}."""
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("archive/data.pkl", _pth_pickle(tensors))
        z.writestr("archive/byteorder", "little")
        for key, raw in storages.items():
            z.writestr(f"archive/data/{key}", raw)


SIX = np.arange(6, dtype=np.float32).tobytes()


def test_the_hand_written_pth_reads_as_torch_would(tmp_path):
    path = tmp_path / "ok.pth"
    _write_pth(
        path,
        {
            "w": ("0", "FloatStorage", 6, 0, (2, 3), (3, 1)),
            "w_t": ("0", "FloatStorage", 6, 0, (3, 2), (1, 3)),  # a transposed view
            "tail": ("0", "FloatStorage", 6, 4, (2,), (1,)),
            "bcast": ("0", "FloatStorage", 6, 5, (2, 1), (0, (1 << 63) - 1)),  # size-1 dims: any stride
            "scalar": ("0", "FloatStorage", 6, 5, (), ()),
            "empty": ("0", "FloatStorage", 6, 6, (0, 3), (3, 1)),
        },
        {"0": SIX},
    )
    state = load_torchvision(path)
    np.testing.assert_array_equal(state["w"], [[0, 1, 2], [3, 4, 5]])
    np.testing.assert_array_equal(state["w_t"], [[0, 3], [1, 4], [2, 5]])
    np.testing.assert_array_equal(state["tail"], [4, 5])
    np.testing.assert_array_equal(state["bcast"], [[5], [5]])
    assert state["scalar"].shape == () and state["scalar"] == 5
    assert state["empty"].shape == (0, 3)
    assert all(a.flags.c_contiguous and a.flags.writeable for a in state.values())


@pytest.mark.parametrize(
    "offset, size, stride, match",
    [
        (0, (2, 3), (1 << 60, 1), r"reaches element 1152921504606846978 of storage '0', which holds 6"),
        (0, (2, 3), (1 << 62, 1 << 62), r"reaches element \d+ of storage '0', which holds 6"),
        (0, (2, 3), (1 << 200, 1), r"has a size, stride or offset beyond 2\*\*63 \(torch's are int64\)"),
        (-(1 << 63), (2,), (1,), r"has a size, stride or offset beyond 2\*\*63"),
        (0, (1,) * 65, (1,) * 65, r"has 65 dimensions, more than the 64 a NumPy array has"),
        (0, (2, 3), (-3, 1), r"negative size, stride or offset"),
        (0, (2, -3), (3, 1), r"negative size, stride or offset"),
        (-1, (2,), (1,), r"negative size, stride or offset"),
        (5, (2, 3), (3, 1), r"reaches element 10 of storage '0'"),
        (6, (), (), r"reaches element 6 of storage '0'"),
        (7, (0,), (1,), r"starts past the end of its storage of 6 elements"),
        (0, (2, 3), (3,), r"malformed offset, size or stride"),
        (0, (1 << 40, 1 << 40), (0, 0), r"more than the read limit"),  # fits, but the copy would not
        (0, (0, 1 << 62, 1 << 62), (1, 1, 1), r"impossible size"),
    ],
)
def test_a_tensor_that_does_not_fit_its_storage_is_refused_by_name(tmp_path, offset, size, stride, match):
    path = tmp_path / "evil.pth"
    _write_pth(path, {"layer.weight": ("0", "FloatStorage", 6, offset, size, stride)}, {"0": SIX})
    with pytest.raises(CheckpointError, match=r"evil\.pth: tensor 'layer\.weight' .*" + match):
        load_torchvision(path)


def test_storages_are_checked_against_their_entries(tmp_path):
    path = tmp_path / "evil.pth"
    _write_pth(path, {"w": ("0", "FloatStorage", 60, 0, (2, 3), (3, 1))}, {"0": SIX})
    with pytest.raises(
        CheckpointError,
        match=r"storage '0' should hold 60 x 4 bytes, but its entry "
        r"holds 24",
    ):
        load_torchvision(path)
    _write_pth(path, {"w": ("9", "FloatStorage", 6, 0, (6,), (1,))}, {"0": SIX})
    with pytest.raises(CheckpointError, match=r"evil\.pth: cannot unpickle .*archive/data/9"):
        load_torchvision(path)
    _write_pth(path, {"w": ("0", "ComplexFloatStorage", 6, 0, (6,), (1,))}, {"0": SIX})
    with pytest.raises(CheckpointError, match=r"refusing to load torch\.ComplexFloatStorage"):
        load_torchvision(path)


def test_pth_code_and_legacy_files_are_refused(tmp_path):
    path = tmp_path / "evil.pth"
    marker = tmp_path / "ran"
    code = f"open({str(marker)!r}, 'w')"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("evil/data.pkl", b"\x80\x02cbuiltins\neval\n" + _str(code) + b"\x85R.")
    with pytest.raises(CheckpointError, match=r"refusing to load builtins\.eval"):
        load_torchvision(path)
    assert not marker.exists()
    with zipfile.ZipFile(path, "w") as z:  # BUILD on an admitted function would alter it
        z.writestr("evil/data.pkl", b"\x80\x02ctorch._utils\n_rebuild_tensor_v2\n}b.")
    with pytest.raises(CheckpointError, match="tries to set the state of torch._utils._rebuild_tensor_v2"):
        load_torchvision(path)
    path.write_bytes(pickle.dumps({"w": 1}))
    with pytest.raises(CheckpointError, match="not a zip-format .pth file"):
        load_torchvision(path)


def test_the_torch_written_fixture_still_reads_under_a_tight_limit(tmp_path):
    from minicnn import io
    from minicnn.safepickle import check_stream

    state = load_torchvision(os.path.join(FIXTURES, "tiny_state.pth"))
    assert state["conv.weight"].shape == (4, 3, 3, 3)
    with open(os.path.join(FIXTURES, "tiny_state.pth"), "rb") as f, zipfile.ZipFile(f) as z:
        pickled = z.read("tiny_state/data.pkl")
        made = io.check_zip_directory(f, "tiny_state.pth") + 2 * len(pickled)  # read, and copied to unpickle
    made += check_stream(pickled, CheckpointError, "tiny_state.pth")
    io.set_read_limit(made + 1000)  # the pickle and the storages (710 bytes as read) fit
    try:
        again = load_torchvision(os.path.join(FIXTURES, "tiny_state.pth"))  # tensors are their storages
        assert all(np.array_equal(again[k], state[k]) for k in state)
        io.set_read_limit(made + 300)  # the storages do not
        with pytest.raises(
            CheckpointError, match=r"tiny_state\.pth: storage '\d+' \(with all read before it\) would take"
        ):
            load_torchvision(os.path.join(FIXTURES, "tiny_state.pth"))
    finally:
        io.set_read_limit(None)


def test_weights_of_a_minicnn_checkpoint_load_and_convert(tmp_path):
    """A state dict or a training checkpoint written by mc.save gives its weights, not its structure keys."""
    import minicnn as mc
    from minicnn.weights import convert_weights, load_torchvision

    rng = np.random.default_rng(41)
    state = {"conv.weight": rng.standard_normal((2, 1, 3, 3)), "conv.bias": rng.standard_normal(2)}
    mc.save(state, tmp_path / "state.npz")
    mc.save({"model": state, "epoch": 3}, tmp_path / "checkpoint.npz")
    for name in ("state.npz", "checkpoint.npz"):
        loaded = load_torchvision(tmp_path / name)
        assert list(loaded) == list(state)
        assert all(np.array_equal(loaded[k], state[k]) for k in state)
    assert convert_weights(tmp_path / "checkpoint.npz", tmp_path / "out.safetensors") == 2
    assert np.array_equal(load_torchvision(tmp_path / "out.safetensors")["conv.bias"], state["conv.bias"])


def test_a_pth_cut_short_is_called_cut_short_not_an_old_format(tmp_path):
    whole = tmp_path / "whole.pth"
    with zipfile.ZipFile(whole, "w") as archive:
        archive.writestr("archive/data.pkl", b"\x80\x02}q\x00.")
    (tmp_path / "cut.pth").write_bytes(whole.read_bytes()[:-30])  # the central directory lost
    with pytest.raises(
        CheckpointError, match=r"cut\.pth: a zip file cut short or damaged \(no directory at its end\)"
    ):
        load_torchvision(tmp_path / "cut.pth")


def _lying_pth(path, lying_zip, method, pickle_extra=0, storage_extra=0):
    """A .pth of one tensor whose data.pkl and storage hold ``*_extra`` zeros more than they claim."""
    pkl = _pth_pickle({"w": ("0", "FloatStorage", 6, 0, (6,), (1,))})
    entries = {
        "archive/data.pkl": (pkl + bytes(pickle_extra), len(pkl)),
        "archive/data/0": (SIX + bytes(storage_extra), len(SIX)),
    }
    lying_zip(path, entries, method)


def test_pth_entries_packed_with_bzip2_or_lzma_are_refused(tmp_path, rng, lying_zip):
    path = tmp_path / "bomb.pth"
    for method, name in ((zipfile.ZIP_BZIP2, "bzip2"), (zipfile.ZIP_LZMA, "LZMA")):
        _lying_pth(path, lying_zip, method, pickle_extra=int(rng.integers(4, 8)) << 20)
        assert path.stat().st_size < 20_000
        match = rf"bomb\.pth: 'archive/data\.pkl' is compressed with {name}; expected stored or deflated"
        with pytest.raises(CheckpointError, match=match):
            load_torchvision(path)


@pytest.mark.parametrize("entry", ["pickle", "storage"])
def test_a_deflated_pth_entry_is_read_no_further_than_it_claims(tmp_path, rng, lying_zip, peak_memory, entry):
    path = tmp_path / "bomb.pth"
    _lying_pth(path, lying_zip, zipfile.ZIP_DEFLATED, **{f"{entry}_extra": int(rng.integers(16, 24)) << 20})

    def load():
        with pytest.raises(CheckpointError, match=r"bomb\.pth: .*Bad CRC-32 for file 'archive/data"):
            load_torchvision(path)

    assert peak_memory(load) < 4 << 20  # the rest was never inflated
    _lying_pth(path, lying_zip, zipfile.ZIP_DEFLATED)  # the same file, honest, reads
    np.testing.assert_array_equal(load_torchvision(path)["w"], np.arange(6))


@pytest.mark.parametrize("suffix", [".npz", ".safetensors"])
def test_convert_weights_refuses_keys_it_could_not_write_back(tmp_path, rng, suffix):
    from minicnn.weights import convert_weights

    n = int(rng.integers(1, 7))
    bad = {
        # refused as the file is read: a state dict's keys are str, and a tuple is no key minicnn reads
        1: r"^\S*src\.pth: a tensor's key is 1 \(int\); a state dict's keys are str$",
        (1, 2): r"^\S*src\.pth: the pickle makes a dict key or set member of a tuple; minicnn reads only str",
    }
    written = {  # refused by convert_weights, before it writes
        "a\0b": r"key 'a\\x00b' holds a NUL character",
        "../../x": r"key '\.\./\.\./x' would unpack outside the folder",
        "/abs": r"key '/abs' would unpack outside the folder",
        "__minicnn_format__": r"key '__minicnn_format__' is a name the file format keeps for itself",
        "__metadata__": r"key '__metadata__' is a name the file format keeps for itself",
    }
    bad.update({key: rf"convert_weights: .*src\.pth: {match}" for key, match in written.items()})
    for key, match in bad.items():
        src = tmp_path / "src.pth"
        tensors = {
            "fc.weight": ("0", "FloatStorage", 6, 0, (n,), (1,)),
            key: ("0", "FloatStorage", 6, 0, (6,), (1,)),
        }
        _write_pth(src, tensors, {"0": SIX})
        with pytest.raises((ValueError, TypeError), match=match):
            convert_weights(src, tmp_path / f"out{suffix}")
        assert sorted(os.listdir(tmp_path)) == ["src.pth"]


def _pth_of_pickle(path, pickled):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("archive/data.pkl", pickled)
        z.writestr("archive/byteorder", "little")


def test_ordereddicts_built_from_one_memoised_list_count_every_build(tmp_path, rng, peak_memory):
    from minicnn import io

    pairs, builds = int(rng.integers(2000, 3000)), int(rng.integers(200, 300))
    p = b"\x80\x02ccollections\nOrderedDict\nq\x00]("
    p += b"".join(_str(f"k{i}") + b"N\x86" for i in range(pairs))
    p += b"eq\x01}("  # the list of pairs, kept in memo 1, then the dict of its copies
    p += b"".join(_str(f"d{j}") + b"h\x00h\x01\x85R" for j in range(builds)) + b"u."
    path = tmp_path / "dicts.pth"
    _pth_of_pickle(path, p)
    io.set_read_limit(600 * len(p))  # the pickle's own objects fit, its builds do not

    def read():
        match = r"dicts\.pth: its dicts \(with all read before it\) would take"
        with pytest.raises(CheckpointError, match=match):
            load_torchvision(path)

    try:
        assert peak_memory(read) < 600 * len(p)
    finally:
        io.set_read_limit(None)


def test_a_pickle_of_many_small_objects_is_counted_before_it_runs(tmp_path, rng):
    from minicnn import io

    n = int(rng.integers(20_000, 40_000))
    path = tmp_path / "sets.pth"
    _pth_of_pickle(path, b"\x80\x04](" + b"\x8f" * n + b"e.")  # a byte of pickle, an empty set of 216 bytes
    io.set_read_limit(100 * n)
    try:
        with pytest.raises(CheckpointError, match=r"sets\.pth: the objects its pickle makes .* would take"):
            load_torchvision(path)
    finally:
        io.set_read_limit(None)


def test_a_pth_holding_no_tensors_is_refused_and_nothing_is_written(tmp_path, rng):
    from minicnn.weights import convert_weights

    src = tmp_path / "empty.pth"
    keys = [f"k{i}" for i in range(int(rng.integers(0, 5)))]
    items = b"".join(_str(k) + b"N" for k in keys)
    _pth_of_pickle(src, b"\x80\x02ccollections\nOrderedDict\n)R(" + items + b"u.")
    match = r"empty\.pth: expected a state dict of tensors, got a dict holding none"
    with pytest.raises(CheckpointError, match=match):
        convert_weights(src, tmp_path / "out.npz")
    assert os.listdir(tmp_path) == ["empty.pth"]


def test_a_pth_tensor_that_is_its_whole_storage_is_not_copied_nor_counted_twice(tmp_path, rng, peak_memory):
    from minicnn import io

    n = int(rng.integers(1 << 19, 1 << 20))
    values = rng.standard_normal(n).astype(np.float32)
    path = tmp_path / "big.pth"
    whole = ("0", "FloatStorage", n, 0, (n // 2, 2), (2, 1))
    _write_pth(path, {"w": whole, "tied": whole}, {"0": values.tobytes()})
    io.set_read_limit(int(2.5 * 4 * n))  # the storage and the tied copy fit; another copy would not
    try:
        state = []
        assert peak_memory(lambda: state.append(load_torchvision(path))) < 2.2 * 4 * n
    finally:
        io.set_read_limit(None)
    w, tied = state[0]["w"], state[0]["tied"]
    np.testing.assert_array_equal(w.ravel(), values)
    np.testing.assert_array_equal(tied, w)
    assert not np.shares_memory(w, tied) and w.flags.writeable and w.flags.c_contiguous


def test_a_bfloat16_pth_storage_is_widened_without_a_second_copy(tmp_path, rng, peak_memory):
    n = int(rng.integers(1 << 19, 1 << 20))
    values = rng.standard_normal(n).astype(np.float32)
    bits = (values.view(np.uint32) >> 16).astype("<u2")
    path = tmp_path / "bf16.pth"
    _write_pth(path, {"w": ("0", "BFloat16Storage", n, 0, (n,), (1,))}, {"0": bits.tobytes()})
    state = []
    # the 2 bytes read and their float32, then the float32 and the tensor's copy of it
    assert peak_memory(lambda: state.append(load_torchvision(path))) < 8.5 * n
    np.testing.assert_array_equal(state[0]["w"], (bits.astype(np.uint32) << 16).view(np.float32))
