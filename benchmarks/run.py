"""convnet against PyTorch on the CPU, side by side: one command, a table of ratios, a JSON file.

    python benchmarks/run.py                      # everything (about 15 minutes)
    python benchmarks/run.py --suite models       # training and inference throughput
    python benchmarks/run.py --suite layers       # single convolutions, forward and backward
    python benchmarks/run.py --suite accuracy     # time to 99% MNIST test accuracy (needs CONVNET_DATA)
    python benchmarks/run.py --suite tiled        # an 8K image through a fully convolutional net

Each measurement runs in a fresh worker process per library (benchmarks/worker.py), the two
libraries alternating for several rounds with the same thread count, so that a noisy
machine slows both alike. Reported figures are medians over the rounds of each worker's
median step time; "ratio" is convnet's throughput over PyTorch's (> 1: convnet is faster).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
MODEL_TASKS = [("train", "lenet5", 128), ("infer", "lenet5", 128), ("train", "mnist-cnn", 128),
               ("infer", "mnist-cnn", 128), ("train", "resnet20", 64), ("infer", "resnet20", 64),
               ("infer", "vgg11", 8)]
# N x C x H x O x K x S x P x G: batch, in channels, size, out channels, kernel, stride, padding, groups
CONV_SHAPES = ["32x3x32x16x3x1x1x1", "32x16x32x16x3x1x1x1", "32x64x16x64x3x1x1x1", "8x256x14x256x3x1x1x1",
               "32x64x16x128x1x1x0x1", "32x16x32x32x5x1x2x1", "32x32x32x64x3x2x1x1", "32x64x16x64x3x1x1x64",
               "128x1x28x6x5x1x2x1", "128x32x26x64x3x1x0x1"]


def worker(lib: str, task: str, threads: int, seconds: float) -> dict[str, Any]:
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "OPENBLAS_NUM_THREADS": str(threads),
           "MKL_NUM_THREADS": str(threads)}
    out = subprocess.run([sys.executable, str(HERE / "worker.py"), "--lib", lib, "--task", task,
                          "--threads", str(threads), "--seconds", str(seconds)],
                         capture_output=True, text=True, env=env, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"{lib} {task} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def alternate(task: str, rounds: int, threads: int, seconds: float,
              libs: tuple[str, ...] = ("convnet", "torch")) -> dict[str, list[dict[str, Any]]]:
    runs: dict[str, list[dict[str, Any]]] = {lib: [] for lib in libs}
    for _ in range(rounds):
        for lib in libs:
            runs[lib].append(worker(lib, task, threads, seconds))
    return runs


def median_step(runs: list[dict[str, Any]]) -> float:
    return statistics.median(statistics.median(r["times"]) for r in runs)


def models_suite(rounds: int, threads: int, seconds: float, flops_ceiling: float | None) -> list[dict[str, Any]]:
    rows = []
    for kind, name, batch in MODEL_TASKS:
        task = f"{kind}:{name}:{batch}"
        runs = alternate(task, rounds, threads, seconds)
        ours, theirs = median_step(runs["convnet"]), median_step(runs["torch"])
        rows.append({"task": task, "convnet_images_per_s": batch / ours, "torch_images_per_s": batch / theirs,
                     "ratio": theirs / ours,
                     "convnet_peak_rss_mb": max(r["peak_rss_mb"] for r in runs["convnet"]),
                     "torch_peak_rss_mb": max(r["peak_rss_mb"] for r in runs["torch"])})
        print(_line(rows[-1]), flush=True)
    return rows


def layers_suite(rounds: int, threads: int, seconds: float, ceiling: float) -> list[dict[str, Any]]:
    rows = []
    for shape in CONV_SHAPES:
        n, c, h, o, k, s, p, g = (int(v) for v in shape.split("x"))
        oh = (h + 2 * p - k) // s + 1
        macs = n * o * oh * oh * (c // g) * k * k
        for kind, flops in (("conv_fwd", 2 * macs), ("conv_bwd", 3 * 2 * macs)):
            runs = alternate(f"{kind}:{shape}", rounds, threads, seconds / 2)
            ours, theirs = median_step(runs["convnet"]), median_step(runs["torch"])
            rows.append({"task": f"{kind}:{shape}", "convnet_ms": 1e3 * ours, "torch_ms": 1e3 * theirs,
                         "ratio": theirs / ours, "convnet_gflops": flops / ours / 1e9,
                         "torch_gflops": flops / theirs / 1e9, "ceiling_fraction": flops / ours / 1e9 / ceiling})
            print(_line(rows[-1]), flush=True)
    return rows


def accuracy_suite(seeds: int, threads: int) -> list[dict[str, Any]]:
    """Time to 99% MNIST test accuracy, per seed: both libraries from the same initial weights
    and batch order (worker.time_to_99), alternating."""
    if not os.environ.get("CONVNET_DATA"):
        print("accuracy suite skipped: set CONVNET_DATA to a folder holding mnist/")
        return []
    rows = []
    for seed in range(seeds):
        runs = {lib: worker(lib, f"accuracy:{seed}", threads, 0) for lib in ("convnet", "torch")}
        row: dict[str, Any] = {"task": f"time_to_99:seed{seed}"}
        for lib, result in runs.items():
            last = result["epochs"][-1]
            row[lib] = {"seconds": last["seconds"] if last["accuracy"] >= 0.99 else None,
                        "epochs": len(result["epochs"]), "accuracy": last["accuracy"],
                        "seconds_per_epoch": last["seconds"] / len(result["epochs"])}
        reached = [row[lib]["seconds"] for lib in ("convnet", "torch")]
        row["ratio"] = reached[1] / reached[0] if None not in reached else None
        rows.append(row)
        print(row, flush=True)
    return rows


def _line(row: dict[str, Any]) -> str:
    if "convnet_images_per_s" in row:
        return (f"{row['task']:<24} convnet {row['convnet_images_per_s']:9,.0f} img/s   torch "
                f"{row['torch_images_per_s']:9,.0f} img/s   ratio {row['ratio']:.2f}   peak RSS "
                f"{row['convnet_peak_rss_mb']:.0f} / {row['torch_peak_rss_mb']:.0f} MB")
    return (f"{row['task']:<32} convnet {row['convnet_ms']:8.2f} ms   torch {row['torch_ms']:8.2f} ms   "
            f"ratio {row['ratio']:.2f}   {row['convnet_gflops']:6.1f} GFLOPS ({100 * row['ceiling_fraction']:.0f}% "
            f"of the matmul ceiling)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--suite", choices=["all", "models", "layers", "accuracy", "tiled"], default="all")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds per measurement")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--seconds", type=float, default=3.0, help="timing budget per worker")
    parser.add_argument("--out", default=str(HERE / "results.json"))
    args = parser.parse_args()
    ceiling_runs = alternate("matmul", args.rounds, args.threads, 2.0)
    ceilings = {lib: r[0]["flops"] / median_step(r) / 1e9 for lib, r in ceiling_runs.items()}
    print(f"float32 matmul 2048x2048 (the practical ceiling): NumPy {ceilings['convnet']:.0f} GFLOPS, "
          f"PyTorch {ceilings['torch']:.0f} GFLOPS; {args.threads} threads")
    results: dict[str, Any] = {"threads": args.threads, "matmul_gflops": ceilings}
    if args.suite in ("all", "models"):
        results["models"] = models_suite(args.rounds, args.threads, args.seconds, ceilings["convnet"])
    if args.suite in ("all", "layers"):
        results["layers"] = layers_suite(args.rounds, args.threads, args.seconds, ceilings["convnet"])
    if args.suite in ("all", "accuracy"):
        results["accuracy"] = accuracy_suite(args.rounds, args.threads)
    if args.suite in ("all", "tiled"):
        run = worker("convnet", "tiled:3x4320x7680", args.threads, 0)
        results["tiled"] = run
        print(f"tiled inference 3x4320x7680: {run['seconds']:.1f} s, peak RSS {run['peak_rss_mb']:.0f} MB, "
              f"output {run['output_shape']}")
    Path(args.out).write_text(json.dumps(results, indent=1))
    print(f"written {args.out}")


if __name__ == "__main__":
    main()
