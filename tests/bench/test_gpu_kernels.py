"""benchmarks/gpu_kernels.py's summary of Nsight Compute's CSV, read on the CPU from rows as
Nsight Compute writes them."""

import json

import pytest
from bench_scripts import load

HEADER = (
    '"ID","Process ID","Process Name","Host Name","Kernel Name","Context","Stream","Block Size",'
    '"Grid Size","Device","CC","Section Name","Metric Name","Metric Unit","Metric Value"'
)


def _module():
    return load("gpu_kernels")


def _row(i, kernel, value, metric="gpu__time_duration.sum", unit="nsecond"):
    return (
        f'"{i}","101","python","host","{kernel}","1","7","(256, 1, 1)","(64, 1, 1)","0","9.0",'
        f'"Command line profiler metrics","{metric}","{unit}","{value}"'
    )


def _lines():
    return [
        "==PROF== Connected to process 101 (/usr/bin/python3)",
        "a line the program printed",
        '==PROF== Profiling "col2im_gather" - 0: 0%....50%....100% - 1 pass',
        HEADER,
        _row(0, "col2im_gather", "1,500"),
        _row(1, "sm90_xmma_gemm_f32f32_tn", "4000"),
        _row(2, "col2im_gather", "2500"),
        _row(3, "sm90_xmma_gemm_f32f32_tn", "77", metric="sm__cycles_elapsed.avg", unit="cycle"),
        _row(4, "cupy_copy__float32_float32", "1000"),
        "==PROF== Disconnected from process 101",
    ]


def test_durations_are_added_up_by_kernel_and_other_lines_skipped():
    kernels = _module().read(_lines())
    assert kernels == {
        "col2im_gather": (4000.0, 2),
        "sm90_xmma_gemm_f32f32_tn": (4000.0, 1),
        "cupy_copy__float32_float32": (1000.0, 1),
    }


def test_the_summary_gives_the_total_and_each_kernels_share(tmp_path, capsys):
    path = tmp_path / "kernels.csv"
    path.write_text("\n".join(_lines()) + "\n")
    out = tmp_path / "kernels.json"
    assert _module().main(["summary", str(path), "--json", str(out)]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == "4 kernel launches, 0.01 ms of GPU time in all"
    col2im = next(line for line in printed if "col2im_gather" in line)
    gemm = next(line for line in printed if "xmma_gemm" in line)
    assert "44.4%" in col2im and "2 launches" in col2im and "44.4%" in gemm and " 1 launch " in gemm
    assert "11.1%" in printed[-1] and "cupy_copy" in printed[-1]  # the smallest last
    assert json.loads(out.read_text())["kernels"]["col2im_gather"] == [0.004, 2]


@pytest.mark.parametrize(
    "lines, message",
    [
        (["no csv at all"], "no Nsight Compute CSV rows"),
        (
            [HEADER, _row(0, "k", "1", metric="sm__cycles_elapsed.avg", unit="cycle")],
            "no gpu__time_duration.sum rows",
        ),
        ([HEADER, _row(0, "k", "1.5", unit="usecond")], "--print-units base"),
    ],
)
def test_output_it_cannot_read_is_refused_with_what_was_expected(lines, message):
    with pytest.raises(ValueError, match=message):
        _module().read(lines)


class _Event:
    def __init__(self, key, count, device_us, old_name=False):
        self.key, self.count = key, count
        setattr(self, "cuda_time_total" if old_name else "device_time_total", device_us)


def test_profiler_events_become_kernels_a_step():
    """Two steps' events: times in microseconds to nanoseconds a step; host-only events
    (no device time) dropped; the older attribute name read too."""
    events = [
        _Event("col2im_gather", 36, 3600.0),
        _Event("cudaLaunchKernel", 500, 0.0),
        _Event("sm80_xmma_gemm", 24, 2000.0, old_name=True),
    ]
    kernels = _module().from_profiler(events, steps=2)
    assert kernels == {"col2im_gather": (1.8e6, 18), "sm80_xmma_gemm": (1e6, 12)}
    assert _module().summary(kernels)[0] == "30 kernel launches, 2.80 ms of GPU time in all"
    with pytest.raises(ValueError, match="no kernel time"):
        _module().from_profiler([_Event("cudaLaunchKernel", 5, 0.0)], steps=1)
