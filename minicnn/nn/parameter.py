"""Parameter: a Tensor that a Module registers as learnable."""

import numpy as np

from .. import backend
from ..tensor import Tensor, _as_array


class Parameter(Tensor):
    """A leaf Tensor that requires grad by default and that ``Module`` picks up on assignment.

    ``Parameter(t)`` shares ``t``'s array and its count of changes in place (as
    ``torch.nn.Parameter`` shares storage and version counter); ``Parameter(array)``
    wraps the array; Python lists become float32 as ``mc.tensor`` makes them.
    """

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            array = np.empty((0,), dtype=np.float32)
        elif isinstance(data, Tensor):
            array = data.data
        elif isinstance(data, np.ndarray) or backend.is_cupy_array(data):
            array = data  # stays on its device, dtype kept
        else:
            array = _as_array(data, None, "cpu")
        super().__init__(array)
        if isinstance(data, Tensor):  # (of an inference tensor: one too, refused requires_grad)
            self._changed_at, self._inference = data._changed_at, data._inference
        self.requires_grad_(requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()
