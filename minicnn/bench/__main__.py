"""``python -m minicnn.bench``: per-layer and per-model speed, beside the GEMM ceiling and PyTorch.

python -m minicnn.bench                          # every layer and model, every tier
python -m minicnn.bench --quick                  # a few cases, fewer repeats
python -m minicnn.bench --compare torch --threads 2 --out benchmarks/results/ --name cpu-fair
python -m minicnn.bench --layers conv3x3_64 --models resnet20 --kernels numpy,numba
python -m minicnn.bench --device cuda --models resnet20 --batch-size 256 --layers none
"""

import argparse
import os
import sys

from .. import backend
from . import cases, fair, report, runner

TIERS = ["reference", "numpy", "numba", "auto"]
MODES = ["forward", "forward_backward", "train", "infer"]


def _csv(text):
    return [s for s in text.split(",") if s]


def parser():
    p = argparse.ArgumentParser(prog="python -m minicnn.bench", description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="few cases and repeats (a smoke run)")
    p.add_argument("--layers", help=f"comma list or 'none'; from {','.join(c['name'] for c in cases.LAYERS)}")
    p.add_argument("--models", help=f"comma list or 'none'; from {','.join(cases.MODELS)}")
    p.add_argument("--device", default="auto", help="cpu, cuda, or auto (cpu, and cuda when CuPy sees a GPU)")
    p.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    p.add_argument(
        "--batch-size", type=int, default=None, help="batch of every model (default: each its own)"
    )
    p.add_argument(
        "--compare",
        choices=["torch", "none"],
        default="none",
        help="time PyTorch on the same cases, each library in a process of its own, "
        "in alternating rounds (needs the compare extra)",
    )
    p.add_argument(
        "--kernels",
        "--tiers",
        dest="tiers",
        default=None,
        help="kernel tiers on CPU, a comma list of reference,numpy,numba,auto (default: "
        "reference,numpy,numba as available, or auto with --compare; reference "
        "runs only on shrunken cases)",
    )
    p.add_argument(
        "--threads",
        type=int,
        default=None,
        help="with --compare: threads of both libraries (BLAS, OpenMP, Numba, "
        "torch.set_num_threads; default: every core)",
    )
    p.add_argument(
        "--rounds",
        type=int,
        default=None,
        help="with --compare: alternating rounds per case (default 7, quick 3)",
    )
    p.add_argument(
        "--modes",
        default=None,
        help="with --compare: a comma list of forward,forward_backward (layers) and "
        "train,infer (models); default all",
    )
    p.add_argument(
        "--repeats",
        type=int,
        default=None,
        help="timed calls per case (at most), or per round with --compare",
    )
    p.add_argument("--no-memory", action="store_true", help="skip the peak-memory subprocesses")
    p.add_argument("--out", default=None, help="directory for <name>.json and <name>.png")
    p.add_argument("--name", default=None, help="file stem under --out (default: the device list)")
    return p


def _names(arg, known, default, what):
    if arg is None:
        return list(default)
    if arg == "none":
        return []
    names = _csv(arg)
    unknown = [n for n in names if n not in known]
    if unknown:
        raise SystemExit(f"minicnn.bench: unknown {what} {', '.join(unknown)}; known: {', '.join(known)}")
    return names


def options(argv):
    """Parsed command line -> the options dict that runner.run takes."""
    a = parser().parse_args(argv)
    layer_names = [c["name"] for c in cases.LAYERS]
    quick = a.quick
    opts = {
        "layers": _names(
            a.layers, layer_names, ["conv3x3_64", "maxpool3x3s2", "relu"] if quick else layer_names, "layers"
        ),
        "models": _names(
            a.models, list(cases.MODELS), cases.QUICK_MODELS if quick else cases.MODELS, "models"
        ),
        "dtype": a.dtype,
        "batch_size": a.batch_size,
        "compare": a.compare,
        "warmup": 1,
        "repeats": a.repeats or (3 if quick else 7),
        "budget": 0.5 if quick else 1.5,
        "memory": not a.no_memory and not quick,
    }
    if a.device == "auto":
        opts["devices"] = ["cpu"] + (["cuda"] if backend.cuda_available() else [])
    elif a.device in ("cpu", "cuda"):
        if a.device == "cuda" and not backend.cuda_available():
            raise SystemExit("minicnn.bench: --device cuda needs CuPy and a GPU; none is usable here")
        opts["devices"] = [a.device]
    else:
        raise SystemExit(f"minicnn.bench: --device must be cpu, cuda or auto, got {a.device!r}")
    tiers = ["numpy"] + (["numba"] if backend.numba_available() else [])
    if not quick:
        tiers = ["reference"] + tiers
    if a.compare == "torch":
        tiers = ["auto"]
    opts["tiers"] = _names(a.tiers, TIERS, tiers, "tiers")
    if "numba" in opts["tiers"] and not backend.numba_available():
        raise SystemExit('minicnn.bench: tier numba needs Numba: pip install -e ".[numba]"')
    if a.compare == "torch" and not fair.torch_installed():
        raise SystemExit(fair.MISSING_TORCH)
    for flag, value in (("--threads", a.threads), ("--rounds", a.rounds), ("--repeats", a.repeats)):
        if value is not None and value < 1:
            raise SystemExit(f"minicnn.bench: {flag} must be at least 1, got {value}")
    opts["modes"] = _names(a.modes, MODES, MODES, "modes")
    opts["threads"] = a.threads or os.cpu_count() or 1
    opts["rounds"] = a.rounds or (3 if quick else 7)
    if a.compare == "torch" and a.repeats is None:
        opts["repeats"] = 3 if quick else 5
    opts["out"], opts["name"] = a.out, a.name or "-".join(opts["devices"])
    return opts


def main(argv=None):
    opts = options(sys.argv[1:] if argv is None else argv)
    result = runner.run(opts)
    print(report.text(result))
    if opts["out"]:
        paths = report.write(result, opts["out"], opts["name"])
        print("wrote " + ", ".join(p for p in paths if p))
    return 0


if __name__ == "__main__":
    sys.exit(main())
