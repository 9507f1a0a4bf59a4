"""The model zoo: the classic CNN line, each net in one file following its paper.

from minicnn import models
net = models.resnet18(num_classes=10)
net = models.get("lenet5", variant="1998")
models.list_models()
models.input_size("alexnet")  # (3, 227, 227): the input its paper used
models.input_size("lenet5", variant="1998")  # (1, 32, 32): a variant's own
"""

from .alexnet import alexnet, alexnet_small
from .googlenet import googlenet
from .lenet import lenet1989, lenet5
from .mobilenet import mobilenet_v1
from .nin import nin
from .resnet import resnet18, resnet34, resnet50, resnet101, resnet152
from .resnet_cifar import resnet20, resnet32, resnet44, resnet56, resnet110, resnet1202
from .vgg import vgg11, vgg11_bn, vgg11_bn_cifar, vgg13, vgg13_bn, vgg16, vgg16_bn, vgg19, vgg19_bn

_MNIST, _ZIP_CODE, _CIFAR, _IMAGENET = (1, 28, 28), (1, 16, 16), (3, 32, 32), (3, 224, 224)

# name -> (builder, the input (C, H, W) each net was designed for), in the order of the curriculum
_REGISTRY = {
    f.__name__: (f, size)
    for f, size in (
        (lenet1989, _ZIP_CODE),
        (lenet5, _MNIST),
        (alexnet, (3, 227, 227)),
        (alexnet_small, _CIFAR),
        (vgg11, _IMAGENET),
        (vgg13, _IMAGENET),
        (vgg16, _IMAGENET),
        (vgg19, _IMAGENET),
        (vgg11_bn, _IMAGENET),
        (vgg13_bn, _IMAGENET),
        (vgg16_bn, _IMAGENET),
        (vgg19_bn, _IMAGENET),
        (vgg11_bn_cifar, _CIFAR),
        (nin, _CIFAR),
        (googlenet, _IMAGENET),
        (resnet18, _IMAGENET),
        (resnet34, _IMAGENET),
        (resnet50, _IMAGENET),
        (resnet101, _IMAGENET),
        (resnet152, _IMAGENET),
        (resnet20, _CIFAR),
        (resnet32, _CIFAR),
        (resnet44, _CIFAR),
        (resnet56, _CIFAR),
        (resnet110, _CIFAR),
        (resnet1202, _CIFAR),
        (mobilenet_v1, _IMAGENET),
    )
}


def list_models():
    """Names accepted by ``get``, in the order of the curriculum."""
    return list(_REGISTRY)


def _entry(name):
    if name not in _REGISTRY:
        raise ValueError(f"unknown model {name!r}; known: {', '.join(_REGISTRY)}")
    return _REGISTRY[name]


def get(name, **kwargs):
    """Build a model by name: ``get("resnet20", num_classes=10)``."""
    return _entry(name)[0](**kwargs)


# each builder's variants, and the input of those designed for another than the default's
_VARIANTS = {
    "lenet5": {"modern": None, "1998": (1, 32, 32), "caffe": None},
    "alexnet": {"paper": None, "torchvision": (3, 224, 224)},
    "googlenet": {"paper": None, "torchvision": None},
}


def input_size(name, variant=None):
    """The input (C, H, W) the model was designed for: ``input_size("resnet20") == (3, 32, 32)``;
    with ``variant``, that variant's: ``input_size("lenet5", variant="1998") == (1, 32, 32)``."""
    size = _entry(name)[1]
    if variant is None:
        return size
    variants = _VARIANTS.get(name, {})
    if variant not in variants:
        known = f"one of {tuple(variants)}" if variants else "none: it has no variants"
        raise ValueError(f"input_size: {name} has no variant {variant!r}; expected {known}")
    return variants[variant] or size


def family(name):
    """The file the model is defined in, e.g. ``family("resnet20") == "resnet_cifar"``."""
    return _entry(name)[0].__module__.rsplit(".", 1)[-1]
