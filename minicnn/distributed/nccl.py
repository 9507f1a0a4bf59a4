"""The "nccl" backend: all-reduce and broadcast of CuPy arrays GPU to GPU, via
``cupy.cuda.nccl``. MPI still starts the ranks and carries NCCL's unique id from
rank 0 to the others; NumPy arrays keep going through MPI.

Untested by the test suite, which runs on CPU-only machines (and NCCL refuses
two ranks on one GPU): it is kept small so that it can be read and checked by
eye, and it is imported only when ``init("nccl")`` asks for it.
"""

from ..backend import is_cupy_array


def _nccl():
    try:
        import cupy
        from cupy.cuda import nccl

        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as err:  # ImportError, or CUDA without a driver or GPU
        raise RuntimeError(
            "minicnn.distributed.init(backend='nccl') needs CuPy built with NCCL and at least "
            f"one NVIDIA GPU ({type(err).__name__}: {err}). Install the gpu extra, or use "
            "backend='mpi'."
        ) from None
    return cupy, nccl, count


class NCCLGroup:
    """Wraps the MPI group: CuPy arrays go through NCCL, everything else through MPI."""

    name = "nccl"

    def __init__(self, mpi_group):
        cupy, nccl, count = _nccl()
        self.mpi, self.cupy, self.nccl = mpi_group, cupy, nccl
        self.rank, self.size = mpi_group.rank, mpi_group.size
        # one GPU per rank; with more ranks than GPUs they share (NCCL may refuse that)
        cupy.cuda.Device(self.rank % count).use()
        uid = mpi_group.comm.bcast(nccl.get_unique_id() if self.rank == 0 else None, root=0)
        self.comm = nccl.NcclCommunicator(self.size, uid, self.rank)
        self.ops = {
            "sum": nccl.NCCL_SUM,
            "prod": nccl.NCCL_PROD,
            "min": nccl.NCCL_MIN,
            "max": nccl.NCCL_MAX,
            "avg": nccl.NCCL_AVG,
        }
        self.types = {
            "float16": nccl.NCCL_FLOAT16,
            "float32": nccl.NCCL_FLOAT32,
            "float64": nccl.NCCL_FLOAT64,
            "int32": nccl.NCCL_INT32,
            "int64": nccl.NCCL_INT64,
            "uint8": nccl.NCCL_UINT8,
        }

    def _type(self, array):
        if array.dtype.name not in self.types:
            raise TypeError(f"NCCL all_reduce/broadcast: unsupported dtype {array.dtype}")
        return self.types[array.dtype.name]

    def all_reduce(self, array, op):
        if not is_cupy_array(array):
            return self.mpi.all_reduce(array, op)
        stream = self.cupy.cuda.get_current_stream()
        self.comm.allReduce(
            array.data.ptr, array.data.ptr, array.size, self._type(array), self.ops[op], stream.ptr
        )
        stream.synchronize()
        return array

    def broadcast(self, array, root):
        if not is_cupy_array(array):
            return self.mpi.broadcast(array, root)
        stream = self.cupy.cuda.get_current_stream()
        self.comm.bcast(array.data.ptr, array.size, self._type(array), root, stream.ptr)
        stream.synchronize()
        return array

    def barrier(self):
        self.cupy.cuda.get_current_stream().synchronize()
        self.mpi.barrier()

    def abort(self, code):
        self.mpi.abort(code)
