"""``import minicnn.nn.functional as F`` works as ``import torch.nn.functional as F`` does: the
same functions as ``minicnn.functional``, where they live (one file per op family)."""

from ..functional import *  # noqa: F403
