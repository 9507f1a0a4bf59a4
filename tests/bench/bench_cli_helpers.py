"""What the tests of the bench's command line share: the prefix of its one-line errors, a
small run's arguments, and a made-up result for the stand-in runner (conftest's fake_run)."""

PREFIX = "python -m minicnn bench: error: "
SMALL = ["--quick", "--layers", "relu", "--models", "none", "--kernels", "numpy", "--device", "cpu"]
ENV = {
    "cpu": "a CPU",
    "cpu_count": 2,
    "memory_gb": 1.0,
    "gpu": None,
    "load_average": [0.5, 0.5, 0.5],
    "python": "3",
    "numpy": "2",
    "numba": None,
    "cupy": None,
    "blas": [],
    "openblas_env": {},
    "allocation": "default",
}


def timing(rng):
    """The statistics of five made-up times, as the runner reports a timing."""
    t = sorted(rng.uniform(1e-3, 1e-2, 5))
    return {"median": t[2], "q1": t[1], "q3": t[3], "min": t[0], "max": t[4], "n": 5}


def fake_result(rng, layers=True, models=True):
    """A small result, as runner.run returns it: one layer row and one model row, timed."""
    layer = {"case": "relu", "tier": "numpy", "device": "cpu", "forward": timing(rng)}
    layer["forward_backward"] = timing(rng)
    model = {"case": "lenet5", "tier": "numpy", "device": "cpu", "batch": 2, "infer": timing(rng)}
    model["train"] = timing(rng)
    return {
        "options": {},
        "environment": ENV,
        "layers": [layer] if layers else [],
        "models": [model] if models else [],
    }


def one_error_line(err):
    """The message of the one line the bench printed to stderr, without the traceback."""
    assert err.startswith(PREFIX) and err.count("\n") == 1 and "Traceback" not in err, err
    return err[len(PREFIX) :].strip()
