"""What ``mc.X`` says for a PyTorch name ``torch.X`` that minicnn does not have: the minicnn way.

Someone who knows PyTorch types ``mc.utils.data`` or ``mc.set_num_threads`` first; a bare
"module 'minicnn' has no attribute 'utils'" leaves them to search. ``minicnn.__getattr__`` looks
the name up here and puts the answer into the AttributeError. So do some submodules for names
of their torch counterparts (``nn.LSTM``, ``F.conv3d``, ``optim.LBFGS``: ``give_hints``), and
``Tensor`` for its missing methods; any other name gets Python's own message.
"""

import dis
import sys

_THREADS = (
    "minicnn has no thread count of its own: its Numba loops run on Numba's threads, every core by "
    'default, with BLAS held to one thread inside them (docs/performance.md, "Threads"); to '
    "choose, call numba.set_num_threads(n), or set NUMBA_NUM_THREADS before Python starts"
)
_HALF = "minicnn's layers compute in float32 (the default) and float64 only: mc.float32, mc.float64"
_DEFAULT_DTYPE = (
    "minicnn's default dtype is float32 and stays so: pass dtype=mc.float64 where a tensor is "
    "made, or call .double() on a tensor or a module"
)

_NONZERO = "minicnn has no nonzero: x.numpy().nonzero() gives the indices, and x[x != 0] the values"
_UNIQUE = "minicnn has no unique: np.unique(x.numpy()) gives the values (return_counts=True their counts)"
_BINCOUNT = "minicnn has no bincount: np.bincount(x.numpy()) counts a tensor of class indices"

HINTS = {
    "utils": (
        "torch.utils.data's Dataset, TensorDataset, DataLoader and random_split are in minicnn.data "
        "(from minicnn.data import DataLoader); torch.nn.utils' are in minicnn.nn.utils"
    ),
    "set_num_threads": _THREADS,
    "get_num_threads": _THREADS,
    "Generator": (
        "minicnn draws from NumPy: mc.manual_seed(seed) reseeds its default generator; where a "
        "function takes generator= (nn.init, random_split), pass np.random.default_rng(seed) or an "
        "int seed; a DataLoader takes seed="
    ),
    "backends": "mc.use_kernels('reference' | 'numpy' | 'numba' | 'auto') chooses minicnn's kernels",
    "float16": _HALF,
    "half": _HALF,
    "bfloat16": _HALF,
    "set_default_dtype": _DEFAULT_DTYPE,
    "get_default_dtype": _DEFAULT_DTYPE,
    "accelerator": (
        "mc.cuda.is_available() says whether CuPy sees a GPU, so "
        "device = 'cuda' if mc.cuda.is_available() else 'cpu'"
    ),
    "Size": "x.size() and x.shape are plain tuples in minicnn: compare with x.shape == (2, 3)",
    "nonzero": _NONZERO,
    "unique": _UNIQUE,
    "bincount": _BINCOUNT,
}

# names of minicnn's submodules that torch's counterparts have: (module, name) -> the way
SUBMODULE_HINTS = {
    ("autograd", "Function"): (
        "minicnn's is mc.Function: subclass it with forward(self, *arrays) and "
        "backward(self, gy) returning one gradient per input, working on arrays; keep on self "
        "what backward needs (no ctx.save_for_backward), and call MyOp.apply(x)"
    ),
    ("transforms", "ToTensor"): (
        "minicnn's datasets give images as float32 arrays (C, H, W) in [0, 1] and its DataLoader "
        "batches them as Tensors; its transforms take a whole NumPy batch, t(batch, rng)"
    ),
    ("transforms", "Lambda"): (
        "in minicnn a transform is any function t(batch, rng) of a NumPy (N, C, H, W) batch: "
        "pass the function itself"
    ),
}

_COURSE = "minicnn is a CNN course engine"
_RECURRENT = (
    f"{_COURSE} and has no recurrent layers; nearest: a cell written with two nn.Linear, "
    "h = mc.tanh(lin_x(x[:, t]) + lin_h(h)), in a Python loop over the time steps"
)
_ATTENTION = (
    f"{_COURSE} and has no attention layers; nearest: one head written with mc.matmul, "
    "F.softmax(q @ k.transpose(-2, -1) / q.shape[-1] ** 0.5, dim=-1) @ v, q, k, v from three nn.Linear"
)
_THREE_D = f"{_COURSE}, its layers take images (N, C, H, W) or signals (N, C, L), and it has no 3-D layers"
_EMBEDDING_BAG = (
    f"{_COURSE} and has no EmbeddingBag; nearest: nn.Embedding on bags of equal length, "
    "ids (N, L) -> (N, L, dim), then .sum(1) or .mean(1) over each bag"
)
_LAZY = (
    "minicnn's layers take their sizes when made (nn.Linear(in_features, out_features)); "
    "mc.summary(model, input_size) prints each layer's input shape"
)
_OPTIMIZERS = "minicnn's optimizers are SGD, Adam, AdamW, RMSprop and Adagrad"
_ADAM_LIKE = f"{_COURSE}: {_OPTIMIZERS}; nearest: optim.Adam"
for _name in ("LSTM", "GRU", "RNN", "LSTMCell", "GRUCell", "RNNCell"):
    SUBMODULE_HINTS["nn", _name] = _RECURRENT
for _name in (
    "MultiheadAttention",
    "Transformer",
    "TransformerEncoder",
    "TransformerDecoder",
    "TransformerEncoderLayer",
    "TransformerDecoderLayer",
):
    SUBMODULE_HINTS["nn", _name] = _ATTENTION
for _name in (
    "Conv3d",
    "ConvTranspose3d",
    "MaxPool3d",
    "AvgPool3d",
    "LPPool3d",
    "BatchNorm3d",
    "InstanceNorm3d",
):
    SUBMODULE_HINTS["nn", _name] = _THREE_D
for _name in ("LazyLinear", "LazyConv2d", "LazyBatchNorm2d"):
    SUBMODULE_HINTS["nn", _name] = _LAZY
for _name in ("conv3d", "conv_transpose3d", "max_pool3d", "avg_pool3d", "lp_pool3d"):
    SUBMODULE_HINTS["functional", _name] = _THREE_D
for _name in ("NAdam", "RAdam", "Adamax", "Adafactor"):
    SUBMODULE_HINTS["optim", _name] = _ADAM_LIKE
_CUPY_DEVICE = "minicnn puts arrays on CuPy's current GPU: choose it with cupy.cuda.Device(n).use()"
SUBMODULE_HINTS.update(
    {
        ("cuda", "set_device"): _CUPY_DEVICE,
        ("cuda", "device"): _CUPY_DEVICE.replace(".use()", " (a with block, as torch.cuda.device)"),
        ("cuda", "amp"): _HALF,
        ("cuda", "get_device_properties"): (
            "cupy.cuda.runtime.getDeviceProperties(n) gives the GPU's properties as a dict; "
            "mc.cuda.get_device_name(n) its name"
        ),
        ("cuda", "max_memory_allocated"): (
            "CuPy's memory pool keeps no peak: mc.cuda.memory_allocated() gives the bytes arrays "
            "hold now, mc.cuda.memory_reserved() what the pool holds"
        ),
        ("nn", "EmbeddingBag"): _EMBEDDING_BAG,
        ("nn", "DataParallel"): (
            "minicnn's data parallelism is minicnn.distributed.DistributedDataParallel, one process "
            "per device, as torch's DistributedDataParallel"
        ),
        ("nn", "parallel"): "minicnn's DistributedDataParallel is in minicnn.distributed",
        ("nn", "DistributedDataParallel"): "minicnn's is minicnn.distributed.DistributedDataParallel",
        ("nn", "SyncBatchNorm"): "minicnn's is minicnn.distributed.SyncBatchNorm",
        ("functional", "scaled_dot_product_attention"): _ATTENTION,
        ("functional", "multi_head_attention_forward"): _ATTENTION,
        ("optim", "LBFGS"): f"{_COURSE} and has no LBFGS (full-batch steps with a closure): {_OPTIMIZERS}",
        ("optim", "Adadelta"): f"{_COURSE}: {_OPTIMIZERS}; nearest: optim.RMSprop or optim.Adagrad",
        ("optim", "ASGD"): f"{_COURSE}: {_OPTIMIZERS}; nearest: optim.SGD",
        ("optim", "Rprop"): f"{_COURSE}: {_OPTIMIZERS}; nearest: optim.RMSprop",
        ("optim", "SparseAdam"): f"{_COURSE}, its gradients are dense: optim.Adam",
        ("optim", "swa_utils"): (
            f"{_COURSE} and has no weight averaging (AveragedModel, SWALR); a running mean of the "
            "parameters kept under mc.no_grad() is its nearest"
        ),
    }
)


def hint(name):
    """The minicnn way for ``torch.<name>``, or None where the table has no word on it."""
    return HINTS.get(name)


def missing(owner, name, way):
    """The AttributeError for ``owner.name``, in Python's words, with the minicnn way if any."""
    return AttributeError(f"{owner} has no attribute {name!r}" + (f"; {way}" if way else ""))


_IMPORT_FROM = dis.opmap["IMPORT_FROM"]

# the submodules with a table above, by their full names; minicnn.nn.functional is
# minicnn.functional under torch's other name, and shares its table
_FULL = {
    "autograd": "minicnn.autograd",
    "transforms": "minicnn.data.transforms",
    "nn": "minicnn.nn",
    "functional": "minicnn.functional",
    "nn.functional": "minicnn.nn.functional",
    "optim": "minicnn.optim",
    "cuda": "minicnn.cuda",
}


def in_from_import(frame):
    """Whether ``frame`` is running the IMPORT_FROM of ``from module import name``. Python turns
    an AttributeError raised there into an ImportError of its own and drops its message, so a
    hint for such a name goes on an ImportError raised directly instead."""
    try:
        return frame.f_code.co_code[frame.f_lasti] == _IMPORT_FROM
    except (AttributeError, IndexError):  # (another Python's frames: the plain error then)
        return False


def module_getattr(module):
    """A ``__getattr__`` for minicnn's submodule ``module`` ("autograd", "transforms", ...)."""
    full, table = _FULL[module], "functional" if module == "nn.functional" else module

    def __getattr__(name):
        way = SUBMODULE_HINTS.get((table, name))
        if way and in_from_import(sys._getframe(1)):
            raise ImportError(f"cannot import name {name!r} from {full!r}; {way}", name=full)
        raise missing(f"module {full!r}", name, way)

    return __getattr__


def give_hints(module):
    """Give minicnn's submodule ``module`` (a key of ``_FULL``) its ``__getattr__``, and a
    ``__dir__`` that leaves both out: ``dir()`` lists what the module has, as before."""
    mod = sys.modules[_FULL[module]]
    mod.__getattr__ = module_getattr(module)
    mod.__dir__ = lambda: sorted(k for k in vars(mod) if k not in ("__getattr__", "__dir__"))
