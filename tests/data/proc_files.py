"""A case the data-file tests share: a file of /proc, which Linux alone has."""

import sys

import pytest

# a file of /proc claims size 0 yet has bytes: the case exists on Linux only (as prctl's tests)
ON_LINUX_PROC = pytest.param(
    "proc", marks=pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc is Linux's")
)
