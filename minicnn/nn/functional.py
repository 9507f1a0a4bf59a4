"""``import minicnn.nn.functional as F`` works as ``import torch.nn.functional as F`` does: the
same functions as ``minicnn.functional``, where they live (one file per op family)."""

from ..functional import *  # noqa: F403

# torch's names this module lacks get a line on what minicnn has instead (dir() unchanged)
from ..torch_names import give_hints  # noqa: E402

give_hints("nn.functional")
del give_hints
