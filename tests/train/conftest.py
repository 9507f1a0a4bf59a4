"""The run the command-line tests read: trained once, for every file of them."""

import pytest
from cli_helpers import DIGITS

from minicnn.__main__ import main


@pytest.fixture(scope="session")
def one_epoch_run(tmp_path_factory):
    """A finished 1-epoch LeNet-5 run on digits, trained once for the tests that only read it."""
    out = tmp_path_factory.mktemp("cli") / "run"
    assert main(["train", "lenet5", *DIGITS, "--epochs", "1", "--out", str(out)]) == 0
    return out
