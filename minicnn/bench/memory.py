"""Child process for system.peak_memory: ``python -m minicnn.bench.memory LIB MODEL BATCH DTYPE``.

Prints one JSON line: {"baseline_mb", "peak_mb", "step_peak_mb"}. A step at batch 1
runs before the baseline, so code loaded on first use is not counted. The peak is
the kernel's high-water mark of resident memory (VmHWM), reset after the model
and batch are built where Linux allows it (``5`` into /proc/self/clear_refs).
Not ru_maxrss: a child inherits its parent's maximum through fork.
"""

import gc
import json
import sys


def _status_mb(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024  # kB
    raise RuntimeError(f"no {field} in /proc/self/status")


def main(argv):
    if len(argv) != 4 or not argv[2].isdigit():
        got = " ".join(argv) or "nothing"
        example = "e.g. minicnn resnet20 64 float32"
        print(f"minicnn.bench.memory: expected LIB MODEL BATCH DTYPE ({example}), got {got}", file=sys.stderr)
        sys.exit(2)
    library, model, batch, dtype = argv[0], argv[1], int(argv[2]), argv[3]
    if library == "torch":
        from .torch_cases import torch_model_step as build
    else:
        from .cases import model_step as build
    # NOTE: one step at batch 1 first, so that the libraries' lazily loaded code
    # (Numba's compiler and cached kernels, PyTorch's kernels) is in the baseline
    # and not counted as the step's memory
    build(model, 1, dtype, "cpu")()
    step = build(model, batch, dtype, "cpu")
    gc.collect()
    baseline = _status_mb("VmRSS")
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # reset the high-water mark
    except OSError:
        pass
    step()
    step()  # the second step reuses what the first allocated (or does not)
    peak = _status_mb("VmHWM")
    print(json.dumps({"baseline_mb": baseline, "peak_mb": peak, "step_peak_mb": peak - baseline}))


if __name__ == "__main__":
    from ..kernels import malloc

    malloc.keep_freed_memory()  # as the bench's workers (worker.serve_stdio), for both libraries
    main(sys.argv[1:])
