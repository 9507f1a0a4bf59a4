"""The benchmark: ``python -m minicnn.bench`` (see ``__main__`` for the flags).

cases.py    the layers and models timed, built for minicnn
twin.py     the models' PyTorch twins, torch_cases.py the cases run on them (--compare torch only)
timing.py   medians after warm-up with their spread; the GEMM ceiling
system.py   BLAS, threads, versions, CPU/GPU names; peak memory (memory.py child)
runner.py   every case for every tier and device -> one result dict
report.py   the printed table, JSON and PNG
"""
