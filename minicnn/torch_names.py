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
}


def hint(name):
    """The minicnn way for ``torch.<name>``, or None where the table has no word on it."""
    return HINTS.get(name)
