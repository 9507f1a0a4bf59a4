"""A ResNet-20 training step on device='cuda' (CuPy) against NumPy's, the same step replayed
as a CUDA graph against ordinary steps, and a checkpoint loaded onto the GPU.
Skipped cleanly on machines without CuPy and a GPU.
"""

import numpy as np
import pytest
from gpu_helpers import RTOL_SUMS

import minicnn as mc
import minicnn.functional as F
from minicnn import models, optim

pytestmark = pytest.mark.gpu


def test_resnet20_training_step_on_cuda_equals_numpy():
    """Two SGD steps of ResNet-20 in float64 land where NumPy's do: any kernel that computes
    something else shows far above the rounding of float64 (in float32, two steps at this
    learning rate already part at 1e-3 by rounding alone)."""
    import cupy

    mc.manual_seed(0)
    net_cpu = models.resnet20().double()
    net_gpu = models.resnet20().double()
    net_gpu.load_state_dict(net_cpu.state_dict())
    net_gpu.to("cuda")
    x = np.random.default_rng(0).standard_normal((8, 3, 32, 32))
    labels = np.arange(8) % 10
    results = {}
    for device, net in (("cpu", net_cpu), ("cuda", net_gpu)):
        opt = optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
        for _ in range(2):
            opt.zero_grad()
            loss = F.cross_entropy(net(mc.tensor(x, device=device)), mc.tensor(labels, device=device))
            loss.backward()
            opt.step()
        # state_dict holds raw arrays (NumPy or CuPy); cupy.asnumpy takes either
        results[device] = loss.item(), {k: cupy.asnumpy(v) for k, v in net.state_dict().items()}
    np.testing.assert_allclose(results["cuda"][0], results["cpu"][0], rtol=1e-10)
    for key, value in results["cpu"][1].items():
        np.testing.assert_allclose(results["cuda"][1][key], value, rtol=1e-8, atol=1e-10, err_msg=key)


def test_resnet20_step_replayed_as_a_cuda_graph_equals_ordinary_steps():
    """bench --cuda-graph: three replays of a captured ResNet-20 step (batch 8, float64) leave
    the parameters, momentum and batch-norm statistics where three ordinary steps from the
    same start do."""
    import cupy

    from minicnn.bench import graph

    x = np.random.default_rng(5).standard_normal((8, 3, 32, 32))
    onehot = np.eye(10)[np.arange(8) % 10]
    results = []
    for replayed in (True, False):
        mc.manual_seed(5)
        net = models.resnet20().double().to("cuda")
        opt = optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
        step = graph.training_step(net, opt, mc.tensor(x, device="cuda"), mc.tensor(onehot, device="cuda"))
        if replayed:
            step = graph.capture(step, cupy, warmup=1)  # the warm-up is a step too
        else:
            step()
        for _ in range(3):
            step()
        cupy.cuda.Device().synchronize()
        results.append({k: cupy.asnumpy(v) for k, v in net.state_dict().items()})
    for key, value in results[1].items():
        np.testing.assert_allclose(results[0][key], value, rtol=1e-9, atol=1e-12, err_msg=key)


def test_load_with_map_location_cuda_puts_every_array_and_tensor_on_the_gpu(tmp_path):
    import cupy

    rng = np.random.default_rng(53)
    net = models.lenet5()
    mc.save({"model": net.state_dict(), "t": mc.tensor(rng.standard_normal(3))}, tmp_path / "c.npz")
    back = mc.load(tmp_path / "c.npz", map_location=mc.device("cuda", 0))
    assert all(isinstance(a, cupy.ndarray) for a in back["model"].values())
    assert back["t"].device == "cuda" and isinstance(back["t"].data, cupy.ndarray)
    on_gpu = models.lenet5().to("cuda")
    on_gpu.load_state_dict(back["model"])
    x = rng.standard_normal((2, 1, 28, 28)).astype(np.float32)
    np.testing.assert_allclose(
        on_gpu(mc.tensor(x, device="cuda")).to("cpu").data, net(mc.tensor(x)).data, rtol=RTOL_SUMS, atol=1e-5
    )
