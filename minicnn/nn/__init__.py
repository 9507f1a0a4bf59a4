"""Layers and models as Modules (``from minicnn import nn``), mirroring ``torch.nn``.

model = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
loss = nn.CrossEntropyLoss()(model(x), y)
"""

from .parameter import Parameter
from ..hooks import RemovableHandle
from .module import Module
from .containers import ModuleDict, ModuleList, Sequential
from .parameter_containers import ParameterDict, ParameterList
from .layers import Flatten, Identity, Linear
from .embedding import Embedding
from .conv import Conv2d, ConvTranspose2d
from .pooling import AdaptiveAvgPool2d, AdaptiveMaxPool2d, AvgPool2d, MaxPool2d, MaxUnpool2d
from .one_d import AdaptiveAvgPool1d, AdaptiveMaxPool1d, AvgPool1d, Conv1d, ConvTranspose1d, MaxPool1d
from .one_d import MaxUnpool1d
from .lp_pool import LPPool1d, LPPool2d
from .fold import Fold, Unfold
from .upsampling import Upsample, UpsamplingBilinear2d, UpsamplingNearest2d
from .loss import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, MSELoss, NLLLoss
from .loss import HuberLoss, KLDivLoss, L1Loss, SmoothL1Loss
from .margin_loss import MultiLabelSoftMarginLoss, MultiMarginLoss, SoftMarginLoss
from .margin_loss import CosineEmbeddingLoss, HingeEmbeddingLoss, MarginRankingLoss, TripletMarginLoss
from .activation import LeakyReLU, LogSoftmax, PReLU, ReLU, RReLU, Sigmoid, Softmax, Tanh
from .activation import ELU, GELU, SiLU, Softplus
from .activation import Hardsigmoid, Hardswish, Hardtanh, ReLU6, Softmax2d, Threshold
from .smooth_activation import CELU, SELU, Mish, Softsign
from .shrink import Hardshrink, Softshrink, Tanhshrink
from .glu import GLU
from .dropout import AlphaDropout, DropConnect, Dropout, Dropout1d, Dropout2d, FeatureAlphaDropout
from .dropconnect import DropConnectLinear
from .norm import BatchNorm1d, BatchNorm2d, GroupNorm, LayerNorm, LocalResponseNorm
from .instance_norm import InstanceNorm1d, InstanceNorm2d
from .padding import CircularPad2d, ConstantPad2d, ReflectionPad2d, ReplicationPad2d, ZeroPad2d
from .padding import CircularPad1d, ConstantPad1d, ReflectionPad1d, ReplicationPad1d, ZeroPad1d
from .rearrange import ChannelShuffle, PixelShuffle, PixelUnshuffle, Unflatten
from .distance import CosineSimilarity, PairwiseDistance
from .log_sigmoid import LogSigmoid, Softmin
from . import functional, init, utils

# torch's names this module lacks get a line on what minicnn has instead (dir() unchanged)
from ..torch_names import give_hints  # noqa: E402

give_hints("nn")
del give_hints
