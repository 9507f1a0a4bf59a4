"""A training step recorded once as a CUDA graph and replayed: ``bench --cuda-graph``.

On the GPU a step issued op by op is bound by Python: every array operation is a
kernel launch of some microseconds, a thousand and more per step. CuPy's stream
capture records the launches of one step into a graph, and a replay issues them all
at once. What the replay cannot do is anything decided on the host: the graph keeps
the kernels, their arguments (the learning rate among them) and the addresses of
every array the step touched, so a replay reads the same input arrays and writes the
same parameters, in place, as the captured step did.
"""

import contextlib

from .. import functional as F
from .. import nn
from ..kernels import cublas_direct, gemm, workspaces

# layers that draw random numbers on the host each step: a graph would replay one draw
RANDOM_LAYERS = (nn.Dropout, nn.DropConnect, nn.DropConnectLinear, nn.RReLU)


def random_layers(model):
    """The names of ``model``'s layers that draw random numbers on the host (see RANDOM_LAYERS)."""
    return [name for name, m in model.named_modules() if isinstance(m, RANDOM_LAYERS)]


def written_out_cross_entropy(logits, onehot):
    """The mean cross-entropy, -sum(onehot * log_softmax(logits)) / N.

    NOTE: F.cross_entropy checks that its targets are class indices, which reads them
    on the host; a capture cannot wait for the device, so a captured step takes its
    targets as one-hot rows, checked once when they are made.
    """
    return -(F.log_softmax(logits, dim=1) * onehot).sum() * (1.0 / logits.shape[0])


def training_step(model, opt, x, onehot):
    """One SGD step of ``model`` on the fixed batch (x, one-hot targets), as a function of nothing:
    the step a graph records."""

    def step():
        opt.zero_grad()
        written_out_cross_entropy(model(x), onehot).backward()
        opt.step()

    return step


def capture(step, cp, warmup=3):
    """``step()`` recorded as a CUDA graph: returns ``replay()``, which runs the recorded step
    (asynchronously, on the capture's stream: synchronize the device to wait for it).

    NOTE: the graph keeps the addresses of every array the step touched, its
    temporaries too, so those blocks come from a memory pool of its own that nothing
    else allocates from while the graph lives; warm-up steps on the capture stream
    compile every kernel and fill that pool (CuPy keeps freed blocks per stream). A
    capture records launches without running them. If the step does something a capture
    cannot hold (it waits for the device), the capture is ended and the step's own error
    raised. The GEMMs of the warm-up and captured steps go to cuBLAS directly
    (kernels/gemm.py), whose handle and workspace are made here, before the capture.
    The kernels' workspaces (kernels/workspaces.py), kept from step to step, are let go
    first, so that the warm-up makes them in the graph's pool too: one made before, from
    the default pool, could be freed and handed to other arrays while the graph still
    writes into it.
    """
    cp.cuda.get_current_stream().synchronize()  # the inputs, copied there, are on the device
    cublas_direct.prepare(cp)
    workspaces.release_workspaces()
    stream = cp.cuda.Stream(non_blocking=True)
    pool = cp.cuda.MemoryPool()
    with cp.cuda.using_allocator(pool.malloc), stream, gemm.direct():
        for _ in range(warmup):
            step()
        stream.synchronize()
        stream.begin_capture()
        try:
            step()
        except BaseException:
            with contextlib.suppress(Exception):  # a spoiled capture fails to end, too
                stream.end_capture()
            raise
        graph = stream.end_capture()

    def replay():
        graph.launch(stream)

    replay.stream, replay.pool = stream, pool  # the pool lives as long as the replay
    return replay
