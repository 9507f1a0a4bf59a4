"""What ``mc.X`` says for a PyTorch name ``torch.X`` that minicnn does not have: the minicnn way.

Someone who knows PyTorch types ``mc.cuda.is_available()`` or ``mc.utils.data`` first; a bare
"module 'minicnn' has no attribute 'cuda'" leaves them to search. ``minicnn.__getattr__`` looks
the name up here and puts the answer into the AttributeError.
"""

_THREADS = (
    "minicnn has no single thread count: its Numba loops and its large copies take half the cores "
    'and BLAS the other half (docs/performance.md, "Threads"); to choose, set NUMBA_NUM_THREADS, '
    "MINICNN_COPY_THREADS and MINICNN_BLAS_THREADS in the environment before Python starts"
)
_HALF = "minicnn's layers compute in float32 (the default) and float64 only: mc.float32, mc.float64"
_DEFAULT_DTYPE = (
    "minicnn's default dtype is float32 and stays so: pass dtype=mc.float64 where a tensor is "
    "made, or call .double() on a tensor or a module"
)

_NONZERO = "minicnn has no nonzero: x.numpy().nonzero() gives the indices, and x[x != 0] the values"
_UNIQUE = "minicnn has no unique: np.unique(x.numpy()) gives the values (return_counts=True their counts)"
_BINCOUNT = "minicnn has no bincount: np.bincount(x.numpy()) counts a tensor of class indices"
_SCATTER = (
    "minicnn has no scatter: F.one_hot(labels, num_classes) makes one-hot rows, and "
    "x[index] = value writes in place"
)

HINTS = {
    "cuda": (
        "mc.cuda_available() says whether CuPy sees a GPU, mc.devices() lists the devices, and "
        "x.to('cuda') or model.to('cuda') moves a tensor or a module there"
    ),
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
    "as_tensor": "mc.tensor(data) copies the data into a new tensor; mc.from_numpy(array) shares its memory",
    "accelerator": (
        "mc.cuda_available() says whether CuPy sees a GPU, so "
        "device = 'cuda' if mc.cuda_available() else 'cpu'"
    ),
    "Size": "x.size() and x.shape are plain tuples in minicnn: compare with x.shape == (2, 3)",
    "nonzero": _NONZERO,
    "unique": _UNIQUE,
    "bincount": _BINCOUNT,
}

# Tensor methods PyTorch has and minicnn lacks; ``Tensor.__getattr__`` puts the answer in
# the AttributeError, as ``minicnn.__getattr__`` does for module names
TENSOR_HINTS = {
    "scatter_": _SCATTER,
    "scatter": _SCATTER,
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


def hint(name):
    """The minicnn way for ``torch.<name>``, or None where the table has no word on it."""
    return HINTS.get(name)


def missing(owner, name, way):
    """The AttributeError for ``owner.name``, in Python's words, with the minicnn way if any."""
    return AttributeError(f"{owner} has no attribute {name!r}" + (f"; {way}" if way else ""))


def tensor_getattr(self, name):
    """``Tensor.__getattr__``: called only when a name is not found, to say what to use."""
    raise missing("'Tensor' object", name, TENSOR_HINTS.get(name))


def module_getattr(module):
    """A ``__getattr__`` for minicnn's submodule ``module`` ("autograd", "transforms")."""
    full = {"autograd": "minicnn.autograd", "transforms": "minicnn.data.transforms"}[module]

    def __getattr__(name):
        raise missing(f"module {full!r}", name, SUBMODULE_HINTS.get((module, name)))

    return __getattr__
