#!/usr/bin/env bash
# GPU check, for a machine with an NVIDIA GPU (CuPy, Numba and PyTorch installed,
# no network needed). From the repository root:
#
#     bash benchmarks/gpu_check.sh            # results under benchmarks/results/
#     OUT=/some/dir bash benchmarks/gpu_check.sh
#     bash benchmarks/gpu_check.sh cuda-graph gpu-step    # only the steps named
#
# Steps: tests, cuda-b256, cuda-graph, cpu-b256, cuda-mobilenet, cuda-mobilenet-graph,
# cpu-all-cores, threads, ab-numba, ab-copies, gpu-step, cuda-all, cpu-quick, nccl; the machine's description, the install
# and the targets (read off whichever results are there) always run.
#
# 1. installs the working tree in place (no dependencies fetched);
# 2. runs the GPU tests (every op and a ResNet-20 step on cuda against NumPy);
# 3. runs the bench on cuda and on cpu with --compare torch (each library in its own
#    process, alternating rounds), including ResNet-20 training at batch 256 on both (on
#    cuda once op by op and once with minicnn's step replayed as a CUDA graph),
#    MobileNet v1 training on cuda (op by op and as a graph) and ResNet-20 training on all
#    CPU cores, and checks
#    the targets: ResNet-20 training at batch 256 at least 10x minicnn's own CPU
#    images/s and at least PyTorch's (cuDNN) images/s; MobileNet v1 at least half
#    PyTorch's; ResNet-20 on every CPU core within 2x PyTorch's time on as many threads.
#    On every core it also runs two A/Bs (benchmarks/ab_env.py): Numba's loops on all
#    cores with the workqueue layer, whose idle threads sleep, against the default (half
#    the cores, OpenMP); and the large copies and ReLU on one thread against the default
#    (split over half the cores, kernels/threads.py); and a ResNet-20 step under several
#    thread settings, kernel by kernel (benchmarks/thread_settings.py). A phase-by-phase
#    timing of the
#    batch-256 step says whether the GPU or Python is the limit; the same step recorded
#    once as a CUDA graph and replayed, checked against ordinary steps, says what it costs
#    without Python's launches (gpu-step.json).
# A step that fails or runs past its limit makes the script exit 1; its result file is
# removed before it starts, so none from an earlier run is read as its own.
# 4. on a machine with two or more GPUs, an NCCL all-reduce across two ranks;
#    with one GPU it says so and skips it.
# Each step has its own time limit; together they come to under 10 minutes.
set -u
# want NAME: whether step NAME runs (all of them when the script is given no names)
STEPS=" $* "
want() { [ "$STEPS" = "  " ] || [[ "$STEPS" == *" $1 "* ]]; }
KNOWN=" tests cuda-b256 cuda-graph cpu-b256 cuda-mobilenet cuda-mobilenet-graph cpu-all-cores threads ab-numba ab-copies gpu-step cuda-all cpu-quick nccl "
for name in "$@"; do
    [[ "$KNOWN" == *" $name "* ]] || { echo "gpu_check.sh: no step '$name'; steps:$KNOWN" >&2; exit 2; }
done
cd "$(dirname "$0")/.."
OUT=${OUT:-benchmarks/results}
mkdir -p "$OUT"
LOG="$OUT/gpu_check.log"
: > "$LOG"
step() { echo "== $*" | tee -a "$LOG"; }
status=0

step "machine"
{ nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>&1 || true
  python -c "import cupy, numpy, numba, torch; print('cupy', cupy.__version__, 'numpy', numpy.__version__, \
'numba', numba.__version__, 'torch', torch.__version__, 'torch cuda', torch.cuda.is_available())" 2>&1
} | tee -a "$LOG"

step "install the working tree"
pip install --no-deps --no-build-isolation -e . >> "$LOG" 2>&1 \
    || echo "pip install failed; the tree is imported through PYTHONPATH" | tee -a "$LOG"
# the scripts under benchmarks/ import the tree from here, however pip installed it
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"

if want tests; then
step "GPU tests"
timeout 100 python -m pytest tests/test_gpu.py tests/kernels -m gpu -q -rs 2>&1 \
    | tee "$OUT/gpu_tests.txt" | tail -n 15 | tee -a "$LOG"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
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
# ab OUTFILE FLAGS...: benchmarks/ab_env.py on ResNet-20, every core, likewise
ab() {
    local out=$1
    shift
    rm -f "$out"
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE timeout 45 python benchmarks/ab_env.py --model resnet20 \
        --threads "$(nproc)" --pairs 2 --rounds 3 --calls 3 --out "$out" "$@" 2>> "$LOG" | tee -a "$LOG"
    [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
}

if want cuda-b256; then
step "bench: ResNet-20 training, batch 256, cuda"
bench 40 cuda-resnet20-b256 --device cuda --layers none --models resnet20 --batch-size 256 \
      --repeats 5 --pairs 1
fi
if want cuda-graph; then
step "bench: ResNet-20 training, batch 256, cuda, minicnn's step replayed as a CUDA graph"
bench 40 cuda-resnet20-b256-graph --device cuda --layers none --models resnet20 --batch-size 256 \
      --repeats 5 --pairs 1 --modes train --cuda-graph --no-memory
fi
if want cpu-b256; then
step "bench: ResNet-20 training, batch 256, cpu"
bench 45 cpu-resnet20-b256 --device cpu --layers none --models resnet20 --batch-size 256 \
      --tiers numpy --repeats 3 --pairs 1 --no-memory
fi
if want cuda-mobilenet; then
step "bench: MobileNet v1 training, batch 64, cuda"
bench 45 cuda-mobilenet --device cuda --layers none --models mobilenet_v1 --modes train \
      --pairs 1 --no-memory
fi
if want cuda-mobilenet-graph; then
step "bench: MobileNet v1 training, batch 64, cuda, minicnn's step replayed as a CUDA graph"
bench 45 cuda-mobilenet-graph --device cuda --layers none --models mobilenet_v1 --modes train \
      --pairs 1 --cuda-graph --no-memory
fi
if want cpu-all-cores; then
step "bench: ResNet-20 training, batch 64, cpu, every core"
bench 75 cpu-all-cores-resnet20 --device cpu --layers none --models resnet20 --modes train \
      --threads "$(nproc)" --pairs 2 --rounds 3 --repeats 3 --no-memory
fi
if want threads; then
step "ResNet-20 training, batch 64, cpu, every core: thread settings, kernel by kernel"
rm -f "$OUT/cpu-thread-settings.json"
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE timeout 150 python benchmarks/thread_settings.py \
    --threads "$(nproc)" --rounds 1 --steps 3 --timeout 40 --out "$OUT/cpu-thread-settings.json" 2>&1 | tee -a "$LOG"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
fi
if want ab-numba; then
step "A/B, every core: Numba's loops on every core with idle threads that sleep, against the default"
ab "$OUT/cpu-all-cores-numba-ab.json" --a "NUMBA_NUM_THREADS=$(nproc) NUMBA_THREADING_LAYER=workqueue"
fi
if want ab-copies; then
step "A/B, every core: large copies and ReLU on one thread, against the default (split over half the cores)"
ab "$OUT/cpu-all-cores-copies-ab.json" --a "MINICNN_COPY_THREADS=1"
fi
if want gpu-step; then
step "ResNet-20 step, batch 256, cuda: device or Python"
rm -f "$OUT/gpu-step.json"
timeout 50 python benchmarks/gpu_step.py --out "$OUT/gpu-step.json" 2>&1 | tee -a "$LOG"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1  # a failed capture, or replays that disagree
fi
if want cuda-all; then
step "bench: layers and models, cuda"
bench 45 cuda --device cuda --repeats 5 --pairs 1
fi
if want cpu-quick; then
step "bench: layers and models, cpu (quick)"
bench 40 cpu-quick --device cpu --quick --tiers numpy,numba

fi
if want nccl; then
step "NCCL all-reduce"
gpus=$(python -c "import cupy; print(cupy.cuda.runtime.getDeviceCount())" 2>/dev/null || echo 0)
if [ "$gpus" -ge 2 ] && python -c "import mpi4py" 2>/dev/null; then
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
python - "$OUT" <<'PY' 2>&1 | tee "$OUT/gpu_targets.txt" | tee -a "$LOG"
import json, os, sys
out = sys.argv[1]
def rate(name, key):
    try:
        rows = json.load(open(os.path.join(out, name + ".json")))["models"]
        return rows[0].get(key)
    except (OSError, IndexError, KeyError, ValueError):
        return None
gpu, cpu = rate("cuda-resnet20-b256", "train_images_per_s"), rate("cpu-resnet20-b256", "train_images_per_s")
torch_gpu = rate("cuda-resnet20-b256", "torch_train_images_per_s")
graph, torch_graph = rate("cuda-resnet20-b256-graph", "train_images_per_s"), rate(
    "cuda-resnet20-b256-graph", "torch_train_images_per_s")
print(f"ResNet-20 training, batch 256: cuda {gpu} img/s, as a CUDA graph {graph} img/s, cpu {cpu} img/s, "
      f"PyTorch cuda {torch_gpu} and {torch_graph} img/s")
if gpu and cpu:
    print(f"cuda / cpu = {gpu / cpu:.1f}x (target >= 10x): {'PASS' if gpu >= 10 * cpu else 'FAIL'}")
# NOTE: op by op, minicnn's step uses F.cross_entropy, as a graph the loss written out
# (graph.py); gpu_step.py times the two ways of one and the same step
for how, mine, theirs in (("op by op", gpu, torch_gpu), ("as a CUDA graph", graph, torch_graph)):
    if mine and theirs:
        print(f"cuda {how} / PyTorch cuda = {mine / theirs:.2f} (target >= 1.0): "
              f"{'PASS' if mine >= theirs else 'FAIL'}")
    else:
        print(f"cuda {how} / PyTorch cuda: MISSING (a run failed or timed out; see the log): FAIL")
for name, how in (("cuda-mobilenet", "op by op"), ("cuda-mobilenet-graph", "as a CUDA graph")):
    mob, torch_mob = rate(name, "train_images_per_s"), rate(name, "torch_train_images_per_s")
    if mob and torch_mob:
        print(f"MobileNet v1 training, cuda {how}: {mob:.0f} img/s, PyTorch {torch_mob:.0f}; ratio "
              f"{mob / torch_mob:.2f} (target >= 0.5): {'PASS' if 2 * mob >= torch_mob else 'FAIL'}")
ratio = rate("cpu-all-cores-resnet20", "ratio_train")
if ratio:
    print(f"ResNet-20 training on every CPU core: minicnn time / PyTorch time = {ratio:.2f} "
          f"(target <= 2.0): {'PASS' if ratio <= 2.0 else 'FAIL'}")
PY
step "done (status $status); results in $OUT"
exit $status
