"""What the tests of the check command submit: the reference solutions' file, and a wrong
col2im as a student's file would hold it."""

import pathlib
import textwrap

SOLUTIONS = pathlib.Path(__file__).resolve().parent / "solutions.py"

WRONG_COL2IM = textwrap.dedent("""
    import numpy as np

    def col2im(cols, x_shape, kernel_size, stride, padding):
        return np.zeros(x_shape)
""")
