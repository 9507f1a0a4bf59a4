"""Child process for system.peak_memory: ``python -m minicnn.bench.memory LIB MODEL BATCH DTYPE``.

Prints one JSON line: {"baseline_mb", "peak_mb", "step_peak_mb"} (Linux ru_maxrss is in KB).
"""
import gc
import json
import resource
import sys


def _rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def main(argv):
    library, model, batch, dtype = argv[0], argv[1], int(argv[2]), argv[3]
    if library == "torch":
        from .twin import torch_model_step
        step = torch_model_step(model, batch, dtype, "cpu")
    else:
        from .cases import model_step
        step = model_step(model, batch, dtype, "cpu")
    gc.collect()
    baseline = _rss_mb()
    step()
    step()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"baseline_mb": baseline, "peak_mb": peak, "step_peak_mb": peak - baseline}))


if __name__ == "__main__":
    main(sys.argv[1:])
