"""A timing process of its own: ``python -m minicnn.bench.worker {minicnn,torch} --threads N``.

``--compare torch`` runs one worker per library and asks them in turn (fair.py), so
neither library's spinning BLAS or OpenMP threads sit in the other's process. The
protocol is one JSON object per line, each request answered by one line:

    {"cmd": "build", "kind": "layer"|"model", "case": NAME, "mode": MODE, "tier": TIER,
     "batch": N|null, "dtype": "float32", "device": "cpu", "warmup": 1,
     "graph": false, "batches": 4}   -> {"build_s": s}   (graph: minicnn's cuda step as a CUDA graph;
                                                          batches: a model's inputs, taken in turn)
    {"cmd": "time", "calls": K}     -> {"times": [K seconds], "minor_faults": f, "two_threads": r}
                                       (after one untimed call; f: page faults a timed call, or null;
                                       r: system.two_threads_over_one() after the calls, or null)
    {"cmd": "info"}                 -> {"library", "version", "threads", "blas", ...}
    {"cmd": "quit"}                 -> {} and the process ends

MODE is "forward" or "forward_backward" for a layer, "train" or "infer" for a model.
A failed request answers {"error": "Type: message"} and the worker carries on.
"""

import argparse
import gc
import json
import os
import sys
import time

THREAD_VARS = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NUMBA_NUM_THREADS",
    "MINICNN_COPY_THREADS",
)
ALLOCATOR_VARS = (
    "MALLOC_ARENA_MAX",
    "MALLOC_TRIM_THRESHOLD_",
    "MALLOC_MMAP_THRESHOLD_",
    "MALLOC_TOP_PAD_",
    "LD_PRELOAD",
    "OPENBLAS_CORETYPE",
    "OPENBLAS_L2_SIZE",
)
# before the two-thread probe: the turn's own OpenMP threads spin a moment before they sleep
PROBE_WAIT_S = 0.01
# read once when a library loads; they decide whether idle threads spin or sleep
SPIN_VARS = ("NUMBA_THREADING_LAYER", "OMP_WAIT_POLICY", "OPENBLAS_THREAD_TIMEOUT")


class Worker:
    """One library's side: builds a case, times calls of it, describes its threads."""

    def __init__(self, library, threads):
        self.library, self.threads, self.fn, self.sync = library, threads, None, None
        if library == "torch":
            import torch

            torch.set_num_threads(threads)
            self.torch = torch

    def build(
        self,
        kind,
        case,
        mode,
        tier="auto",
        batch=None,
        dtype="float32",
        device="cpu",
        warmup=1,
        graph=False,
        batches=None,
    ):
        """Make the closure to time. ``graph``: minicnn's training step as a CUDA graph (cuda only);
        ``batches``: how many batches a model case takes in turn (default cases.BATCHES)."""
        self.fn = None
        gc.collect()
        t0 = time.perf_counter()
        if self.library == "torch":
            from . import torch_cases

            self.sync = torch_cases.sync_for(device)
            self.fn = _build(
                torch_cases.build_layer,
                torch_cases.torch_model_step,
                torch_cases.torch_model_infer,
                kind,
                case,
                mode,
                batch,
                dtype,
                device,
                batches,
            )
        else:
            from .. import backend
            from . import cases

            backend.use_kernels(tier)
            self.sync = None if device == "cpu" else backend.cupy().cuda.Device().synchronize

            def step(*args, **kw):
                return cases.model_step(*args, graph=graph, **kw)

            self.fn = _build(
                cases.build_layer, step, cases.model_infer, kind, case, mode, batch, dtype, device, batches
            )
        for _ in range(warmup):
            self._call()
        return {"build_s": time.perf_counter() - t0}

    def _call(self):
        self.fn()
        if self.sync is not None:
            self.sync()

    def time(self, calls):
        """One untimed call (the other library just ran: caches and pages are cold), then K timed,
        with the minor page faults they took (``minor_faults``, per call) and, once they are
        done, whether two threads slowed each other (``two_threads``, system.two_threads_over_one).

        NOTE: the probe runs after the turn, not before it: its GEMM wakes NumPy's BLAS
        threads, which then spin for a while, and in PyTorch's worker they would take cores
        from PyTorch's own threads. The coordinator's pause after the turn outlasts the spin.
        """
        from . import system

        self._call()
        times = []
        before = minor_faults()
        for _ in range(calls):
            t0 = time.perf_counter()
            self._call()
            times.append(time.perf_counter() - t0)
        after = minor_faults()
        time.sleep(PROBE_WAIT_S)
        return {
            "times": times,
            "minor_faults": None if before is None else (after - before) / calls,
            "two_threads": system.two_threads_over_one(),
        }

    def info(self):
        from ..kernels import malloc
        from . import system

        if self.library == "minicnn":
            from .. import backend, kernels

            kernels.get(backend.kernel_tier())  # BLAS's threads as minicnn sets them (kernels/threads.py)
        out = {
            "library": self.library,
            "pid": os.getpid(),
            "blas": system.blas_info(),
            "env": {k: os.environ.get(k) for k in THREAD_VARS + ALLOCATOR_VARS + SPIN_VARS},
            "malloc": malloc.describe(),
        }
        if self.library == "torch":
            torch = self.torch
            out.update(
                version=torch.__version__,
                threads=torch.get_num_threads(),
                interop_threads=torch.get_num_interop_threads(),
                cpu_capability=torch.backends.cpu.get_cpu_capability(),
                mkldnn=torch.backends.mkldnn.is_available(),
                # PyTorch's defaults, left as they are: cuDNN's convolutions may use TF32
                # (tensor cores, a 10-bit mantissa), its matmuls not; no autotuning
                cudnn_allow_tf32=torch.backends.cudnn.allow_tf32,
                matmul_allow_tf32=torch.backends.cuda.matmul.allow_tf32,
                cudnn_benchmark=torch.backends.cudnn.benchmark,
                config=[
                    line.strip()
                    for line in torch.__config__.show().splitlines()
                    if "BLAS_INFO" in line or "LAPACK_INFO" in line
                ],
                allocator="c10 DefaultCPUAllocator over glibc malloc (posix_memalign)",
            )
        else:
            from .. import __version__, backend

            out.update(
                version=__version__,
                package=os.path.dirname(os.path.abspath(backend.__file__)),  # which checkout ran
                threads=self.threads,
                tier=backend.kernel_tier(),
                allocator=system.ALLOCATION,
            )
            try:
                import numba

                out["numba_threads"] = numba.get_num_threads()
                out["numba_threading_layer"] = _numba_layer(numba)
            except ImportError:
                out["numba_threads"] = out["numba_threading_layer"] = None
        return out


def minor_faults():
    """The page faults this process has taken that read nothing from disk, or None where the
    platform does not count them (no ``resource`` module: Windows).

    NOTE: most are first touches of memory the allocator has just taken from the operating
    system, which zeroes each page then. glibc gives freed blocks back when enough lies free
    at the top of its heap, so how many a step takes can change with the order and lifetime
    of its allocations alone, and two versions of the same arithmetic can differ in them
    (benchmarks/README.md, "Page faults in an A/B of two versions").
    """
    try:
        import resource
    except ImportError:
        return None
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def _numba_layer(numba):
    """The threading layer Numba's parallel loops run on, or None before the first has run."""
    try:
        return numba.threading_layer()
    except ValueError:
        return None


def _build(layer, step, infer, kind, case, mode, batch, dtype, device, batches=None):
    from . import cases

    if kind == "layer":
        spec = next((c for c in cases.LAYERS if c["name"] == case), None)
        if spec is None:
            raise ValueError(f"no layer case {case!r}")
        fwd, fwdbwd = layer(spec, dtype, device)
        return fwd if mode == "forward" else fwdbwd
    batches = cases.BATCHES if batches is None else batches
    return (step if mode == "train" else infer)(case, batch, dtype, device, batches=batches)


def serve(worker, lines, reply):
    """Answer each request line with ``reply(dict)`` until "quit" or the end of the input."""
    for line in lines:
        if not line.strip():
            continue
        msg = json.loads(line)
        cmd = msg.pop("cmd")
        if cmd == "quit":
            reply({})
            return
        try:
            reply(getattr(worker, cmd)(**msg))
        except Exception as err:  # the coordinator reports it and goes on
            reply({"error": f"{type(err).__name__}: {err}"})


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m minicnn.bench.worker")
    p.add_argument("library", choices=["minicnn", "torch"])
    p.add_argument("--threads", type=int, required=True)
    a = p.parse_args(argv)
    serve_stdio(Worker(a.library, a.threads))


def serve_stdio(worker):
    """serve() over this process's stdin and stdout.

    NOTE: glibc's thresholds are set here, in PyTorch's worker as in minicnn's, so that both
    libraries are timed with the same allocator settings, as with the same threads
    (kernels/malloc.py); the process is the bench's, not a user's.
    """
    from ..kernels import malloc

    malloc.keep_freed_memory()
    # NOTE: the protocol owns stdout; anything a library prints goes to stderr
    channel = os.fdopen(os.dup(1), "w")
    sys.stdout.flush()
    os.dup2(2, 1)

    def reply(obj):
        channel.write(json.dumps(obj) + "\n")
        channel.flush()

    serve(worker, sys.stdin, reply)


if __name__ == "__main__":
    main()
