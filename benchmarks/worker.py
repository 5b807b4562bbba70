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


# ---------------------------------------------------------------- convnet
def convnet_task(task: str, seconds: float) -> dict[str, Any]:
    import numpy as np

    import convnet as cn
    import convnet.nn.functional as F
    from convnet import models, optim

    kind, _, rest = task.partition(":")
    if kind == "matmul":
        a = np.random.default_rng(0).standard_normal((2048, 2048), dtype=np.float32)
        times = timed(lambda: a @ a, seconds)
        return {"times": times, "flops": 2 * 2048 ** 3}
    if kind in ("train", "infer"):
        name, batch = rest.split(":")
        b = int(batch)
        cn.manual_seed(0)
        model = models.create(name, **({"input_size": 28} if name == "lenet5" else {}))
        x = cn.randn(b, *INPUTS[name])
        y = cn.randint(0, 1000 if name == "vgg11" else 10, (b,))
        if kind == "infer":
            model.eval()

            def step() -> None:
                with cn.no_grad():
                    model(x)
        else:
            opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

            def step() -> None:
                loss = F.cross_entropy(model(x), y)
                opt.zero_grad()
                loss.backward()
                opt.step()
        return {"times": timed(step, seconds), "batch": b}
    if kind in ("conv_fwd", "conv_bwd"):
        sp = conv_spec(rest)
        x = cn.randn(sp["n"], sp["c"], sp["h"], sp["h"], requires_grad=kind == "conv_bwd")
        w = cn.randn(sp["o"], sp["c"] // sp["g"], sp["k"], sp["k"], requires_grad=kind == "conv_bwd")
        args = dict(stride=sp["s"], padding=sp["p"], groups=sp["g"])
        if kind == "conv_fwd":
            def step() -> None:
                with cn.no_grad():
                    F.conv2d(x, w, **args)
        else:
            out = F.conv2d(x, w, **args)
            g = cn.randn(*out.shape)

            def step() -> None:
                F.conv2d(x, w, **args).backward(g)
        return {"times": timed(step, seconds)}
    if kind == "accuracy":
        return convnet_accuracy()
    if kind == "tiled":
        return convnet_tiled(rest)
    raise ValueError(f"unknown task {task!r}")


def convnet_accuracy() -> dict[str, Any]:
    import convnet as cn
    import convnet.nn.functional as F
    from convnet import data, models, optim
    from convnet.data import transforms as T

    cn.manual_seed(0)
    train, test = data.get_dataset("mnist", train=True), data.get_dataset("mnist", train=False)
    tf = T.Compose([T.ToFloat(), T.Normalize(train.mean, train.std)])
    loader = data.DataLoader(train, batch_size=128, shuffle=True, seed=0, transform=tf)
    test_loader = data.DataLoader(test, batch_size=1000, transform=tf)
    model = models.create("lenet5", input_size=28)
    opt = optim.Adam(model.parameters(), lr=1e-3)
    trained, epochs = 0.0, []
    for epoch in range(15):
        model.train()
        t = time.perf_counter()
        for x, y in loader:
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        trained += time.perf_counter() - t
        model.eval()
        with cn.no_grad():
            right = sum(int((model(x).numpy().argmax(1) == y.numpy()).sum()) for x, y in test_loader)
        epochs.append({"epoch": epoch + 1, "seconds": trained, "accuracy": right / len(test)})
        if right / len(test) >= 0.99:
            break
    return {"epochs": epochs}


# ---------------------------------------------------------------- torch
def torch_task(task: str, seconds: float) -> dict[str, Any]:
    import torch
    import torch.nn.functional as TF

    sys.path.insert(0, os.path.dirname(__file__))
    from torch_models import MODELS

    torch.manual_seed(0)
    kind, _, rest = task.partition(":")
    if kind == "matmul":
        a = torch.randn(2048, 2048)
        return {"times": timed(lambda: a @ a, seconds), "flops": 2 * 2048 ** 3}
    if kind in ("train", "infer"):
        name, batch = rest.split(":")
        b = int(batch)
        model = MODELS[name]()
        x = torch.randn(b, *INPUTS[name])
        y = torch.randint(0, 1000 if name == "vgg11" else 10, (b,))
        if kind == "infer":
            model.eval()

            def step() -> None:
                with torch.no_grad():
                    model(x)
        else:
            opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

            def step() -> None:
                loss = TF.cross_entropy(model(x), y)
                opt.zero_grad()
                loss.backward()
                opt.step()
        return {"times": timed(step, seconds), "batch": b}
    if kind in ("conv_fwd", "conv_bwd"):
        sp = conv_spec(rest)
        x = torch.randn(sp["n"], sp["c"], sp["h"], sp["h"], requires_grad=kind == "conv_bwd")
        w = torch.randn(sp["o"], sp["c"] // sp["g"], sp["k"], sp["k"], requires_grad=kind == "conv_bwd")
        args = dict(stride=sp["s"], padding=sp["p"], groups=sp["g"])
        if kind == "conv_fwd":
            def step() -> None:
                with torch.no_grad():
                    TF.conv2d(x, w, **args)
        else:
            out = TF.conv2d(x, w, **args)
            g = torch.randn(*out.shape)

            def step() -> None:
                TF.conv2d(x, w, **args).backward(g)
        return {"times": timed(step, seconds)}
    if kind == "accuracy":
        return torch_accuracy()
    raise ValueError(f"unknown task {task!r}")


def torch_accuracy() -> dict[str, Any]:
    import torch
    import torch.nn.functional as TF

    from convnet import data
    from convnet.data import transforms as T

    sys.path.insert(0, os.path.dirname(__file__))
    from torch_models import lenet5

    torch.manual_seed(0)
    train, test = data.get_dataset("mnist", train=True), data.get_dataset("mnist", train=False)
    tf = T.Compose([T.ToFloat(), T.Normalize(train.mean, train.std)])
    loader = data.DataLoader(train, batch_size=128, shuffle=True, seed=0, transform=tf)
    test_loader = data.DataLoader(test, batch_size=1000, transform=tf)
    model = lenet5()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    trained, epochs = 0.0, []
    for epoch in range(15):
        model.train()
        t = time.perf_counter()
        for x, y in loader:
            loss = TF.cross_entropy(model(torch.from_numpy(x.numpy())), torch.from_numpy(y.numpy()))
            opt.zero_grad()
            loss.backward()
            opt.step()
        trained += time.perf_counter() - t
        model.eval()
        with torch.no_grad():
            right = sum(int((model(torch.from_numpy(x.numpy())).argmax(1).numpy() == y.numpy()).sum())
                        for x, y in test_loader)
        epochs.append({"epoch": epoch + 1, "seconds": trained, "accuracy": right / len(test)})
        if right / len(test) >= 0.99:
            break
    return {"epochs": epochs}


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
        result = torch_task(args.task, args.seconds)
    else:
        result = convnet_task(args.task, args.seconds)
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result["lib"], result["task"] = args.lib, args.task
    print(json.dumps(result))


if __name__ == "__main__":
    main()
