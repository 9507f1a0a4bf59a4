"""``python -m minicnn train`` and ``eval``: data by name, a recipe per model, outputs in a folder.

A recipe is the set of defaults that trains a model well on a CPU in little
time; any flag given on the command line overrides it.
"""
import json
import os
import time

import numpy as np

from . import data, io, models, optim, rng
from .train import evaluate, fit

# model family -> defaults (epochs, batch size, optimizer, learning rate, augmentation)
RECIPES = {
    "lenet": dict(epochs=16, batch_size=64, optimizer="adam", lr=3e-3, augment=True,
                  schedule="onecycle"),
    "default": dict(epochs=10, batch_size=64, optimizer="sgd", lr=0.05, augment=True,
                    schedule="onecycle"),
}
DATA = ("mnist5k", "digits", "shapes", "mnist:PATH", "fashion-mnist:PATH", "cifar10:PATH")


class UsageError(Exception):
    """A bad command-line argument: printed as one line, exit status 2."""


def recipe_for(model_name):
    return RECIPES["lenet"] if model_name.startswith("lenet") else RECIPES["default"]


def load_data(spec, seed=0):
    """'mnist5k' | 'digits' | 'shapes' | 'mnist:PATH' | ... -> (train, test) datasets."""
    kind, _, path = spec.partition(":")
    if kind in ("mnist", "fashion-mnist", "cifar10"):
        if not path:
            raise UsageError(f"--data {kind} needs a folder: --data {kind}:PATH")
        if not os.path.isdir(path):
            raise UsageError(f"--data {spec}: no such folder {path!r}")
        cls = {"mnist": data.MNIST, "fashion-mnist": data.FashionMNIST, "cifar10": data.CIFAR10}[kind]
        return cls(path, train=True), cls(path, train=False)
    if kind == "mnist5k":
        return data.mnist5k("train"), data.mnist5k("test")
    if kind == "digits":
        return data.digits("train", size=28), data.digits("test", size=28)
    if kind == "shapes":
        return data.SyntheticShapes(10000, seed=seed), data.SyntheticShapes(2000, seed=seed + 1)
    raise UsageError(f"unknown data {spec!r}; choose one of {', '.join(DATA)}")


def augmentation(image_shape):
    """Small translations for digits; crops and flips for colour images."""
    from .data import transforms as T
    channels, size = image_shape[0], image_shape[-1]
    if channels == 1:
        return T.RandomTranslate(2)
    return T.Compose([T.RandomCrop(size, padding=size // 8), T.RandomHorizontalFlip()])


def build_model(name, num_classes, image_shape):
    if name not in models.list_models():
        raise UsageError(f"unknown model {name!r}; choose one of {', '.join(models.list_models())}")
    model = models.get(name, num_classes=num_classes)
    from .tensor import Tensor, no_grad
    model.eval()
    try:
        with no_grad():
            model(Tensor(np.zeros((1,) + tuple(image_shape), dtype=np.float32)))
    except ValueError as err:
        raise UsageError(f"model {name} cannot take this data's images of shape "
                         f"{tuple(image_shape)}: {err}") from None
    return model


def make_optimizer(name, params, lr):
    if name == "sgd":
        return optim.SGD(params, lr=lr, momentum=0.9, weight_decay=5e-4, nesterov=True)
    if name == "adam":
        return optim.Adam(params, lr=lr)
    raise UsageError(f"unknown optimizer {name!r}; choose sgd or adam")


def train_command(args):
    recipe = dict(recipe_for(args.model))
    for key in ("epochs", "batch_size", "optimizer", "lr", "augment"):
        if getattr(args, key) is not None:
            recipe[key] = getattr(args, key)
    rng.manual_seed(args.seed)
    train_set, test_set = load_data(args.data, seed=args.seed)
    num_classes = int(np.max(train_set.labels)) + 1
    image_shape = train_set.images.shape[1:]
    model = build_model(args.model, num_classes, image_shape)
    transform = augmentation(image_shape) if recipe["augment"] else None
    train_loader = data.DataLoader(train_set, batch_size=recipe["batch_size"], shuffle=True,
                                   seed=args.seed, transform=transform)
    test_loader = data.DataLoader(test_set, batch_size=500)
    distributed = getattr(args, "distributed", False)
    if distributed:                 # each rank: its shard, batch_size / world_size per step
        from . import distributed as dist
        dist.init()
        try:
            train_loader = dist.shard_loader(train_loader)
        except ValueError as err:
            raise UsageError(f"--distributed: {err}") from None
    optimizer = make_optimizer(recipe["optimizer"], model.parameters(), recipe["lr"])
    scheduler = optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=recipe["lr"], total_steps=recipe["epochs"] * len(train_loader))
    out = args.out or os.path.join("runs", f"{args.model}-{args.data.split(':')[0]}")
    began = time.perf_counter()
    history = fit(model, train_loader, optimizer, recipe["epochs"], val_loader=test_loader,
                  scheduler=scheduler, scheduler_step="batch", device=args.device, out=out,
                  resume=args.resume, progress=not args.quiet, distributed=distributed)
    seconds = time.perf_counter() - began
    result = evaluate(model, test_loader, device=args.device)
    if distributed and dist.rank() != 0:      # same weights and result on every rank
        return 0
    io.save(model.state_dict(), os.path.join(out, "model.npz"))
    history.to_json(os.path.join(out, "history.json"))
    metrics = {"model": args.model, "data": args.data, "test_accuracy": result["accuracy"],
               "test_loss": result["loss"], "epochs": recipe["epochs"], "seconds": seconds,
               "images_per_second": float(np.mean(history["images_per_second"] or [0])),
               "recipe": recipe, "seed": args.seed,
               "processes": dist.world_size() if distributed else 1}
    io.write_atomic(os.path.join(out, "metrics.json"), json.dumps(metrics, indent=1).encode())
    _plot_curves(history, os.path.join(out, "curves.png"))
    print(f"outputs in {out}/")
    print(f"test accuracy: {result['accuracy']:.4f}")
    return 0


def _plot_curves(history, path):
    try:
        from . import viz
        fig = viz.plot_history(history)
    except ImportError:
        return
    fig.savefig(path, dpi=100)


def eval_command(args):
    if not os.path.exists(args.weights):
        raise UsageError(f"no such file {args.weights!r}")
    metrics_path = os.path.join(os.path.dirname(args.weights), "metrics.json")
    name = args.model
    if name is None and os.path.exists(metrics_path):
        with open(metrics_path) as f:
            name = json.load(f)["model"]
    if name is None:
        raise UsageError("cannot tell which model these weights are for: pass --model NAME")
    _, test_set = load_data(args.data)
    num_classes = int(np.max(test_set.labels)) + 1
    model = build_model(name, num_classes, test_set.images.shape[1:])
    model.load_state_dict(io.load(args.weights))
    result = evaluate(model, data.DataLoader(test_set, batch_size=500), device=args.device)
    print(f"test loss: {result['loss']:.4f}")
    print(f"test accuracy: {result['accuracy']:.4f}")
    return 0
