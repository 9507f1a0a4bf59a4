"""benchmarks/thread_settings.py: each setting's process times a step kernel by kernel, with
the bench's allocator settings, and the record says so."""

import json

from bench_scripts import load


def _module():
    return load("thread_settings")


def test_one_setting_is_timed_kernel_by_kernel_with_the_bench_allocator(tmp_path, monkeypatch):
    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_", raising=False)
    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_", raising=False)
    out = tmp_path / "settings.json"
    args = ["--threads", "1", "--model", "lenet5", "--batch-size", "4", "--steps", "2", "--rounds", "1"]
    assert _module().main(args + ["--only", "one thread", "--tier", "numpy", "--out", str(out)]) == 0
    record = json.loads(out.read_text())["settings"]["one thread"]
    assert len(record["step_ms"]) == 2 and all(t > 0 for t in record["step_ms"])
    assert "conv2d_forward" in record["kernels_ms"][0] and "max_pool2d_forward" in record["kernels_ms"][0]
    assert record["malloc"].startswith("glibc malloc thresholds set") or "not glibc" in record["malloc"]
