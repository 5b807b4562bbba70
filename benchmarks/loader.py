"""Time the data pipeline: how long one batch of 128 MNIST images takes, with and without augmentation.

Run: ``CONVNET_DATA=../shared/datasets python benchmarks/loader.py`` (falls back to SynthDigits
when the variable is unset). Prints timings; asserts nothing (speed is measured, never tested).
"""

from __future__ import annotations

import os
import time

import convnet.data as data
from convnet.data import transforms as T


def per_batch_ms(loader: data.DataLoader, epochs: int = 2) -> float:
    start, batches = time.perf_counter(), 0
    for _ in range(epochs):
        for _x, _y in loader:
            batches += 1
    return (time.perf_counter() - start) / batches * 1e3


def main() -> None:
    name = "mnist" if os.environ.get("CONVNET_DATA") else "synth-digits"
    start = time.perf_counter()
    train = data.get_dataset(name, train=True, download=False)
    print(f"{name}: {len(train)} images loaded in {time.perf_counter() - start:.2f} s")
    normalize = [T.ToFloat(), T.Normalize(train.mean, train.std)]
    pipelines = {
        "no transform (uint8 -> float32 only)": None,
        "ToFloat + Normalize": T.Compose(normalize),
        "RandomShift(2) + ToFloat + Normalize": T.Compose([T.RandomShift(2), *normalize]),
        "RandomAffine(10 deg, 10% shift) + ToFloat + Normalize":
            T.Compose([T.RandomAffine(degrees=10, translate=(0.1, 0.1)), *normalize]),
        "RandomAffine(10 deg, 10% shift, 0.9-1.1 scale, 10 deg shear) + ToFloat + Normalize":
            T.Compose([T.RandomAffine(10, (0.1, 0.1), (0.9, 1.1), 10), *normalize]),
    }
    for label, transform in pipelines.items():
        loader = data.DataLoader(train, batch_size=128, shuffle=True, seed=0, transform=transform)
        print(f"  {per_batch_ms(loader):6.3f} ms / batch of 128   {label}")
    start = time.perf_counter()
    data.generate_digits(10_000, seed=123)
    print(f"SynthDigits: 10,000 images generated in {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    main()
