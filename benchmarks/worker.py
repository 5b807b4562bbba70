"""One benchmark task for one library, in its own process; prints one JSON line.

    python benchmarks/worker.py --lib convnet --task train:lenet5:128 --threads 2

The orchestrator (benchmarks/run.py) starts these alternately for convnet and PyTorch so
that neither library's thread pool runs beside the other's, and the machine's noise falls
on both alike.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from typing import Any

INPUTS = {"lenet5": (1, 28, 28), "mnist-cnn": (1, 28, 28), "resnet20": (3, 32, 32), "vgg11": (3, 224, 224),
          "fcn": (3, 64, 64)}


def timed(fn: Any, seconds: float, warmup: int = 3, min_iters: int = 5, max_iters: int = 200) -> list[float]:
    for _ in range(warmup):
        fn()
    times: list[float] = []
    start = time.perf_counter()
    while len(times) < min_iters or (time.perf_counter() - start < seconds and len(times) < max_iters):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return times


def conv_spec(text: str) -> dict[str, int]:
    n, c, h, o, k, s, p, g = (int(v) for v in text.split("x"))
    return {"n": n, "c": c, "h": h, "o": o, "k": k, "s": s, "p": p, "g": g}


# ---------------------------------------------------------------- the two libraries
class Library:
    """What a task needs from a library, under the same names for convnet and PyTorch."""

    def __init__(self, name: str) -> None:
        self.name = name
        if name == "torch":
            import torch
            import torch.nn.functional as F

            sys.path.insert(0, os.path.dirname(__file__))
            from torch_models import MODELS, lenet5

            torch.manual_seed(0)
            self.randn, self.randint, self.no_grad, self.F = torch.randn, torch.randint, torch.no_grad, F
            self.sgd, self.adam = torch.optim.SGD, torch.optim.Adam
            self.model = lambda name: MODELS[name]()
            self.lenet5 = lenet5
            self.tensor = lambda a: torch.from_numpy(a.numpy())
            self.matrix = lambda n: torch.randn(n, n)
        else:
            import numpy as np

            import convnet as cn
            import convnet.nn.functional as F
            from convnet import models, optim

            cn.manual_seed(0)
            self.randn, self.randint, self.no_grad, self.F = cn.randn, cn.randint, cn.no_grad, F
            self.sgd, self.adam = optim.SGD, optim.Adam
            self.model = lambda name: models.create(name, **({"input_size": 28} if name == "lenet5" else {}))
            self.lenet5 = lambda: models.create("lenet5", input_size=28)
            self.tensor = lambda a: a
            self.matrix = lambda n: np.random.default_rng(0).standard_normal((n, n), dtype=np.float32)


def run_task(lib: Library, task: str, seconds: float) -> dict[str, Any]:
    kind, _, rest = task.partition(":")
    if kind == "matmul":
        a = lib.matrix(2048)
        return {"times": timed(lambda: a @ a, seconds), "flops": 2 * 2048 ** 3}
    if kind in ("train", "infer"):
        name, batch = rest.split(":")
        b = int(batch)
        model = lib.model(name)
        x = lib.randn(b, *INPUTS[name])
        y = lib.randint(0, 1000 if name == "vgg11" else 10, (b,))
        if kind == "infer":
            model.eval()

            def step() -> None:
                with lib.no_grad():
                    model(x)
        else:
            opt = lib.sgd(model.parameters(), lr=0.01, momentum=0.9)

            def step() -> None:
                loss = lib.F.cross_entropy(model(x), y)
                opt.zero_grad()
                loss.backward()
                opt.step()
        return {"times": timed(step, seconds), "batch": b}
    if kind in ("conv_fwd", "conv_bwd"):
        sp = conv_spec(rest)
        grad = kind == "conv_bwd"
        x = lib.randn(sp["n"], sp["c"], sp["h"], sp["h"], requires_grad=grad)
        w = lib.randn(sp["o"], sp["c"] // sp["g"], sp["k"], sp["k"], requires_grad=grad)
        args = dict(stride=sp["s"], padding=sp["p"], groups=sp["g"])
        if not grad:
            def step() -> None:
                with lib.no_grad():
                    lib.F.conv2d(x, w, **args)
        else:
            g = lib.randn(*lib.F.conv2d(x, w, **args).shape)

            def step() -> None:
                lib.F.conv2d(x, w, **args).backward(g)
        return {"times": timed(step, seconds)}
    if kind == "accuracy":
        return time_to_99(lib, int(rest or 0))
    if kind == "tiled" and lib.name == "convnet":
        return convnet_tiled(rest)
    raise ValueError(f"unknown task {task!r} for {lib.name}")


def time_to_99(lib: Library, seed: int) -> dict[str, Any]:
    """LeNet-5, Adam lr 1e-3, batch 128, no augmentation: seconds of training until 99% on the
    test set. Both libraries start from the same initial weights (drawn by convnet with
    `seed`) and see the same batches in the same order, so the comparison is of the engines,
    not of two draws of initial weights (which alone move the epoch of 99% by several)."""
    import numpy as np

    import convnet as cn
    from convnet import data, models
    from convnet.data import transforms as T

    cn.manual_seed(seed)
    start = [p.numpy().copy() for p in models.create("lenet5", input_size=28).parameters()]
    train, test = data.get_dataset("mnist", train=True), data.get_dataset("mnist", train=False)
    tf = T.Compose([T.ToFloat(), T.Normalize(train.mean, train.std)])
    loader = data.DataLoader(train, batch_size=128, shuffle=True, seed=seed, transform=tf)
    test_loader = data.DataLoader(test, batch_size=1000, transform=tf)
    model = lib.lenet5()
    for p, value in zip(model.parameters(), start, strict=True):      # same layers, same order
        p.data[...] = lib.tensor(cn.tensor(np.ascontiguousarray(value))) if lib.name == "torch" else value
    opt = lib.adam(model.parameters(), lr=1e-3)
    trained, epochs = 0.0, []
    for epoch in range(15):
        model.train()
        t = time.perf_counter()
        for x, y in loader:
            loss = lib.F.cross_entropy(model(lib.tensor(x)), lib.tensor(y))
            opt.zero_grad()
            loss.backward()
            opt.step()
        trained += time.perf_counter() - t
        model.eval()
        with lib.no_grad():
            right = sum(int((model(lib.tensor(x)).argmax(1).numpy() == y.numpy()).sum()) for x, y in test_loader)
        epochs.append({"epoch": epoch + 1, "seconds": trained, "accuracy": right / len(test)})
        if right / len(test) >= 0.99:
            break
    return {"epochs": epochs, "seed": seed}


def convnet_tiled(spec: str) -> dict[str, Any]:
    """Fully convolutional inference on a large image in tiles; spec is CxHxW."""
    import numpy as np

    import convnet as cn
    import convnet.nn as nn
    from convnet.tiling import tiled_forward

    c, h, w = (int(v) for v in spec.split("x"))
    cn.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(c, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(), nn.Conv2d(32, 8, 1)).eval()
    image = np.random.default_rng(0).random((1, c, h, w), dtype=np.float32)
    t = time.perf_counter()
    out = tiled_forward(model, image)
    return {"seconds": time.perf_counter() - t, "output_shape": list(out.shape)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lib", choices=["convnet", "torch"], required=True)
    parser.add_argument("--task", required=True)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    if args.lib == "torch":
        import torch

        torch.set_num_threads(args.threads)
    else:
        import convnet

        convnet.set_num_threads(args.threads)
    result = run_task(Library(args.lib), args.task, args.seconds)
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result["lib"], result["task"] = args.lib, args.task
    print(json.dumps(result))


if __name__ == "__main__":
    main()
