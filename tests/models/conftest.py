import pytest

import minicnn as mc


@pytest.fixture(autouse=True)
def seeded():
    """Every model test starts from the same initial weights."""
    mc.manual_seed(0)
