#!/usr/bin/env bash
# GPU check, for a machine with an NVIDIA GPU (CuPy, Numba and PyTorch installed,
# no network needed). From the repository root:
#
#     bash benchmarks/gpu_check.sh            # results under benchmarks/results/gpu-next/
#     OUT=/some/dir bash benchmarks/gpu_check.sh
#     bash benchmarks/gpu_check.sh cuda-graph gpu-step    # only the steps named
#
# Steps: tests, kernels, cuda-b256, cuda-graph, cpu-b256, cuda-mobilenet, cuda-mobilenet-graph,
# cpu-all-cores, threads, gpu-step, cuda-all, nccl. The machine's description, the install
# and the targets (read off whichever result files are there) always run.
#
# 1. installs the working tree in place (no dependencies fetched);
# 2. runs the GPU tests (every op and a ResNet-20 step on cuda against NumPy, a step
#    recorded as a CUDA graph against ordinary steps), then lists the kernels of a
#    ResNet-20 step at batch 256 replayed as a graph and of PyTorch's step, with the time
#    each takes (benchmarks/gpu_kernels.py table, gpu-kernels.txt and .json);
# 3. runs the bench with --compare torch (each library in its own process, alternating
#    rounds): ResNet-20 training at batch 256 on cuda (op by op, and minicnn's step
#    replayed as a CUDA graph) and on the CPU; MobileNet v1 training on cuda (op by op and
#    as a graph); ResNet-20 training on every CPU core; a ResNet-20 step on every core
#    under several thread settings, kernel by kernel (benchmarks/thread_settings.py); the
#    batch-256 step phase by phase, whether the GPU or Python is the limit, and recorded
#    as a CUDA graph, checked against ordinary steps (benchmarks/gpu_step.py, gpu-step.json);
#    a few layers and models on cuda;
# 4. on a machine with two or more GPUs, an NCCL all-reduce across two ranks;
#    with one GPU it says so and skips it;
# 5. checks the targets (benchmarks/gpu_targets.py, gpu_targets.txt and gpu.json).
# A step that fails or runs past its limit makes the script exit 1; its result file is
# removed before it starts, so none from an earlier run is read as its own.
# Every command has its own time limit; together they come to under 10 minutes.
set -u
# want NAME: whether step NAME runs (all of them when the script is given no names)
STEPS=" $* "
want() { [ "$STEPS" = "  " ] || [[ "$STEPS" == *" $1 "* ]]; }
KNOWN=" tests kernels cuda-b256 cuda-graph cpu-b256 cuda-mobilenet cuda-mobilenet-graph cpu-all-cores threads gpu-step cuda-all nccl "
for name in "$@"; do
    [[ "$KNOWN" == *" $name "* ]] || { echo "gpu_check.sh: no step '$name'; steps:$KNOWN" >&2; exit 2; }
done
cd "$(dirname "$0")/.."
# NOTE: a folder of its own by default, not benchmarks/results itself: the bench runs below
# replace files of their names, and the recorded runs there are cited by the docs
OUT=${OUT:-benchmarks/results/gpu-next}
mkdir -p "$OUT"
LOG="$OUT/gpu_check.log"
: > "$LOG"
step() { echo "== $*" | tee -a "$LOG"; }
status=0

step "machine"
{ timeout 5 nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>&1 || true
  timeout 20 python -c "import cupy, numpy, numba, torch; print('cupy', cupy.__version__, 'numpy', numpy.__version__, \
'numba', numba.__version__, 'torch', torch.__version__, 'torch cuda', torch.cuda.is_available())" 2>&1
} | tee -a "$LOG"

step "install the working tree"
timeout 30 pip install --no-deps --no-build-isolation -e . >> "$LOG" 2>&1 \
    || echo "pip install failed; the tree is imported through PYTHONPATH" | tee -a "$LOG"
# the scripts under benchmarks/ import the tree from here, however pip installed it
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"

if want tests; then
step "GPU tests"
timeout 105 python -m pytest tests/test_gpu_ops.py tests/test_gpu_models.py \
    tests/test_gpu_cupy_kernels.py tests/kernels -m gpu -q -rs 2>&1 \
    | tee "$OUT/gpu_tests.txt" | tail -n 15 | tee -a "$LOG"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
fi

if want kernels; then
step "the kernels of a ResNet-20 step, batch 256, cuda: minicnn's graph replay and PyTorch's step"
rm -f "$OUT/gpu-kernels.json"
timeout 40 python benchmarks/gpu_kernels.py table --json "$OUT/gpu-kernels.json" > "$OUT/gpu-kernels.txt" 2>&1 \
    || status=1
tee -a "$LOG" < "$OUT/gpu-kernels.txt"
fi

# The OpenBLAS tuning variables of some machines slow NumPy's GEMM: unset for the bench only.
# bench SECONDS NAME FLAGS...: NAME.json is removed first, so a run that fails or times out
# leaves no earlier result to be read as this one's.
bench() {
    local seconds=$1 name=$2
    shift 2
    rm -f "$OUT/$name.json" "$OUT/$name.png"
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE timeout "$seconds" python -m minicnn.bench \
        --compare torch --out "$OUT" --overwrite --name "$name" "$@" 2>> "$LOG" | tee -a "$LOG"
    [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
}
if want cuda-b256; then
step "bench: ResNet-20 training, batch 256, cuda"
bench 35 cuda-resnet20-b256 --device cuda --layers none --models resnet20 --batch-size 256 \
      --repeats 5 --pairs 1
fi
if want cuda-graph; then
step "bench: ResNet-20 training, batch 256, cuda, minicnn's step replayed as a CUDA graph"
bench 35 cuda-resnet20-b256-graph --device cuda --layers none --models resnet20 --batch-size 256 \
      --repeats 5 --pairs 1 --modes train --cuda-graph --no-memory
fi
if want cpu-b256; then
step "bench: ResNet-20 training, batch 256, cpu"
bench 50 cpu-resnet20-b256 --device cpu --layers none --models resnet20 --batch-size 256 \
      --modes train --rounds 3 --repeats 2 --pairs 1 --no-memory
fi
if want cuda-mobilenet; then
step "bench: MobileNet v1 training, batch 64, cuda"
bench 35 cuda-mobilenet --device cuda --layers none --models mobilenet_v1 --modes train \
      --pairs 1 --no-memory
fi
if want cuda-mobilenet-graph; then
step "bench: MobileNet v1 training, batch 64, cuda, minicnn's step replayed as a CUDA graph"
bench 40 cuda-mobilenet-graph --device cuda --layers none --models mobilenet_v1 --modes train \
      --pairs 1 --cuda-graph --no-memory
fi
if want cpu-all-cores; then
step "bench: ResNet-20 training, batch 64, cpu, every core"
bench 50 cpu-all-cores-resnet20 --device cpu --layers none --models resnet20 --modes train \
      --threads "$(nproc)" --pairs 2 --rounds 3 --repeats 3 --no-memory
fi
if want threads; then
step "ResNet-20 training, batch 64, cpu, every core: thread settings, kernel by kernel"
rm -f "$OUT/cpu-thread-settings.json"
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE timeout 60 python benchmarks/thread_settings.py \
    --threads "$(nproc)" --rounds 1 --steps 3 --timeout 40 --out "$OUT/cpu-thread-settings.json" 2>&1 | tee -a "$LOG"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
fi
if want gpu-step; then
step "ResNet-20 step, batch 256, cuda: device or Python"
rm -f "$OUT/gpu-step.json"
timeout 35 python benchmarks/gpu_step.py --out "$OUT/gpu-step.json" 2>&1 | tee -a "$LOG"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1  # a failed capture, or replays that disagree
fi
if want cuda-all; then
step "bench: layers and models, cuda"
bench 25 cuda --device cuda --layers conv3x3_64 --models lenet5,resnet20,vgg11_bn_cifar \
      --modes forward_backward,train --repeats 5 --pairs 1 --no-memory
fi
if want nccl; then
step "NCCL all-reduce"
gpus=$(timeout 5 python -c "import cupy; print(cupy.cuda.runtime.getDeviceCount())" 2>/dev/null || echo 0)
if [ "$gpus" -ge 2 ] && timeout 5 python -c "import mpi4py" 2>/dev/null; then
    timeout 20 mpiexec -n 2 python -c "
import cupy
from minicnn import distributed as dist
dist.init('nccl')
x = cupy.full(1000, dist.rank() + 1.0, dtype=cupy.float32)
dist.all_reduce(x)
assert float(x.min()) == float(x.max()) == 3.0, x
print(f'rank {dist.rank()}: NCCL all-reduce of 2 GPUs ok')" 2>&1 | tee -a "$LOG"
    [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
else
    echo "skipped: this machine has $gpus GPU(s) (or no mpi4py); NCCL all-reduce needs two GPUs" \
        | tee -a "$LOG"
fi

fi
step "GPU targets"
rm -f "$OUT/gpu.json"
timeout 5 python benchmarks/gpu_targets.py "$OUT" --json "$OUT/gpu.json" 2>&1 | tee "$OUT/gpu_targets.txt" | tee -a "$LOG"
step "done (status $status); results in $OUT"
exit $status
