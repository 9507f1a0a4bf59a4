"""The model zoo: the classic CNN line, each net in one file following its paper.

    from minicnn import models
    net = models.resnet18(num_classes=10)
    net = models.get("lenet5", variant="1998")
    models.list_models()
"""
from .alexnet import alexnet, alexnet_small
from .googlenet import googlenet
from .lenet import lenet1989, lenet5
from .mobilenet import mobilenet_v1
from .nin import nin
from .resnet import resnet18, resnet34, resnet50, resnet101, resnet152
from .resnet_cifar import resnet20, resnet32, resnet44, resnet56, resnet110, resnet1202
from .vgg import (vgg11, vgg11_bn, vgg11_bn_cifar, vgg13, vgg13_bn, vgg16, vgg16_bn, vgg19,
                  vgg19_bn)

_REGISTRY = {f.__name__: f for f in (
    lenet1989, lenet5, alexnet, alexnet_small,
    vgg11, vgg13, vgg16, vgg19, vgg11_bn, vgg13_bn, vgg16_bn, vgg19_bn, vgg11_bn_cifar,
    nin, googlenet,
    resnet18, resnet34, resnet50, resnet101, resnet152,
    resnet20, resnet32, resnet44, resnet56, resnet110, resnet1202,
    mobilenet_v1)}


def list_models():
    """Names accepted by ``get``, in the order of the curriculum."""
    return list(_REGISTRY)


def get(name, **kwargs):
    """Build a model by name: ``get("resnet20", num_classes=10)``."""
    if name not in _REGISTRY:
        raise ValueError(f"unknown model {name!r}; known: {', '.join(_REGISTRY)}")
    return _REGISTRY[name](**kwargs)
