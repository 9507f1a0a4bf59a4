"""How many threads minicnn's jitted loops run on: half the cores, set for each call.

NumPy's GEMMs run on OpenBLAS's threads, one per core, which keep spinning on their cores
for a while after each GEMM. A parallel loop that starts then, on every core, finds them
there and the two take turns (docs/performance.md, "Threads"); so every jitted kernel runs
inside ``cores_shared_with_blas()``.
"""

import os
import warnings

import numba

from . import numba_compiling  # noqa: F401  # every module of jitted kernels imports this one

# read once: the count does not change while a process runs, and os.cpu_count() reads
# /sys on every call, a cost every jitted kernel paid where NUMBA_NUM_THREADS is not set
# (benchmarks/README.md, "Figures behind comments")
HALF_THE_CORES = max(1, (os.cpu_count() or 2) // 2)


class CoresWarning(UserWarning):
    """A thread setting under which minicnn's training steps took several times as long."""


# whether NUMBA_NUM_THREADS is set, looked up on the first call rather than on each (a
# lookup in os.environ costs about as much as asking Numba for its count): Numba starts its
# threads, as many as the variable says, once per process, so a later change moves nothing
_users_variable: bool | None = None


# this thread's Numba count, got and set; the first call puts the threading layer's own
# functions here (below)
_get_threads, _set_threads = numba.get_num_threads, numba.set_num_threads


def _threading_layer_calls():
    """Numba's get_num_threads() and set_num_threads() as its threading layer gives them.

    NOTE: the public functions make sure that Numba's threads are launched on every call,
    taking two locks to do so, which cost more than the rest of this context together; once
    the threads are launched (the first call of the public one does it), the layer's own
    functions, which the public ones then call, do the same alone. Where a Numba has them
    under other names, the public functions are kept.
    """
    numba.get_num_threads()
    from numba.np.ufunc import parallel

    got, set_ = getattr(parallel, "_get_num_threads", None), getattr(parallel, "_set_num_threads", None)
    if callable(got) and callable(set_):
        return got, set_
    return numba.get_num_threads, numba.set_num_threads


def _check_users_setting():
    """Once per process, on the first call: whether NUMBA_NUM_THREADS is set, and if so a
    warning where it gives the loops more than half the cores. OpenBLAS's threads spin on every
    core for a while after each GEMM, so the loops and BLAS then take turns on the same cores: a
    LeNet-5 step on 2 cores took 6.3 times as long, a ResNet-20 step on 16 cores 4.3 times
    (docs/performance.md, "Threads")."""
    global _users_variable, _get_threads, _set_threads
    _get_threads, _set_threads = _threading_layer_calls()
    _users_variable = "NUMBA_NUM_THREADS" in os.environ
    if not _users_variable:
        return
    threads = numba.get_num_threads()
    if threads > HALF_THE_CORES:
        warnings.warn(
            f"minicnn: with NUMBA_NUM_THREADS set, the jitted loops run on {threads} threads on a "
            f"machine of {os.cpu_count()} cores, beside BLAS's threads, which spin on them after each "
            'product; training steps took several times as long so (docs/performance.md, "Threads"). '
            "Unset it, and minicnn gives the loops half the cores.",
            CoresWarning,
            stacklevel=4,
        )


class cores_shared_with_blas:  # noqa: N801 (used as a function: ``with cores_shared_with_blas():``)
    """Run the jitted loops on half the cores, then give Numba its setting back.

    NOTE: a parallel loop that starts right after a multithreaded GEMM finds
    OpenBLAS's threads still spinning on the same cores, and the two fight; so
    the loops take half the cores and BLAS keeps the rest. Set per call, not at
    import, so that importing minicnn leaves Numba's own setting alone; an
    explicit NUMBA_NUM_THREADS is obeyed as it is (and warned about once where it
    asks for more than half the cores). A class rather than a generator under
    ``contextlib.contextmanager``: every jitted kernel enters it (about 30 times in a
    LeNet-5 step), and a generator's context costs several times as much to enter.
    """

    __slots__ = ("previous",)

    def __enter__(self):
        self.previous = None
        if _users_variable is None:
            _check_users_setting()
        if _users_variable:
            return
        previous = _get_threads()
        if previous > HALF_THE_CORES:  # else nothing to change
            _set_threads(HALF_THE_CORES)
            self.previous = previous

    def __exit__(self, *exc):
        if self.previous is not None:
            _set_threads(self.previous)
        return False
