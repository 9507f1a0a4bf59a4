"""Small tensors of several dtypes that the promotion tests combine with each other and with
Python numbers."""

import minicnn as mc

u8 = mc.tensor([200], dtype=mc.uint8)
i32 = mc.tensor([1, 2], dtype=mc.int32)
mask = mc.tensor([True, False])


def i8(v):
    """An int8 tensor of ``v``."""
    return mc.tensor(v, dtype=mc.int8)


f32 = mc.tensor([1.0, 2.0])
