"""What the GPU tests (tests/test_gpu_*.py) share: their tolerances and seeded inputs.

float32 throughout: 1e-5 relative for elementwise ops, 1e-4 where long sums
(convolution, pooling windows, normalizations, the model) are added in another order.
"""

import numpy as np

RTOL_ELEMENTWISE, RTOL_SUMS = 1e-5, 1e-4


def rng_arrays(shapes, seed=0):
    """float32 standard-normal arrays of ``shapes``, drawn in turn from one generator seeded with ``seed``."""
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s).astype(np.float32) for s in shapes]
