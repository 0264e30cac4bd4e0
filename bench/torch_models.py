#!/usr/bin/env python3
"""torch_models.py — the PyTorch side of bench/models: the same training steps in PyTorch.

Runs, on one thread, the workloads that bench/models.c times in fedc and prints one line per
workload, `name value unit`, with the median of several samples:
  seed      Dense 784->10 softmax, batch 20, SGD 0.1            training steps per second
  emnist    TFF's EMNIST CNN (dropout), batch 20, SGD 0.1       examples per second
  charlstm  Shakespeare character model, seq 80, batch 4, SGD   training steps per second
Inputs are random (speed does not depend on the values). Needs Debian's python3-torch; it is
a benchmark, never a test dependency, and must not change torch's defaults beyond one thread.

With --serve it reads `name seconds [wall|cpu]` lines on stdin and answers each with one sample
(`name value unit`), after a first line `ready torch VERSION` (or `notorch REASON` when torch
cannot be imported): bench/models.c drives it that way to interleave PyTorch's samples with
fedc's, so both sides see the same machine load.
"""
import argparse
import os
import statistics
import sys
import time

# One thread means one: torch.set_num_threads(1) alone leaves the OpenMP pool that import made,
# whose second thread was measured spinning a core (process CPU time twice the wall time).
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError as e:  # reported by --serve; the plain CLI fails below
    torch = None
    IMPORT_ERROR = str(e)
    nn = None


class _NoTorch:  # lets the class statements below run without torch
    Module = object


nn = nn or _NoTorch


class EmnistCnn(nn.Module):
    """TFF's EMNIST CNN with dropout (conv32 3x3, conv64 3x3, maxpool, dropout, dense 128)."""

    def __init__(self, classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3)
        self.conv2 = nn.Conv2d(32, 64, 3)
        self.fc1 = nn.Linear(12 * 12 * 64, 128)
        self.fc2 = nn.Linear(128, classes)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        x = F.max_pool2d(x, 2)
        x = F.dropout(x, 0.25, self.training)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = F.dropout(x, 0.5, self.training)
        return self.fc2(x)


class CharLstm(nn.Module):
    """The Shakespeare character model: embedding 8, two LSTM 256, dense to the vocabulary."""

    def __init__(self, vocab=90):
        super().__init__()
        self.emb = nn.Embedding(vocab, 8)
        self.lstm = nn.LSTM(8, 256, num_layers=2, batch_first=True)
        self.out = nn.Linear(256, vocab)

    def forward(self, x):
        h, _ = self.lstm(self.emb(x))
        return self.out(h)


CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}


def one_sample(step, min_seconds, clock="wall"):
    """Steps per second over a run of at least min_seconds of `clock` ("wall": elapsed time;
    "cpu": this process's CPU time, which leaves out time the scheduler gives to others)."""
    now = CLOCKS[clock]
    n, t0 = 0, now()
    while True:
        step()
        n += 1
        elapsed = now() - t0
        if elapsed >= min_seconds:
            return n / elapsed


def make_seed():
    model = nn.Linear(784, 10)
    nn.init.zeros_(model.weight)
    nn.init.zeros_(model.bias)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    x = torch.rand(20, 784)
    y = torch.randint(0, 10, (20,))

    def step():
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()

    return step


def make_emnist():
    model = EmnistCnn()
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    x = torch.rand(20, 1, 28, 28)
    y = torch.randint(0, 10, (20,))

    def step():
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()

    return step


def make_charlstm():
    model = CharLstm()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    x = torch.randint(0, 90, (4, 80))
    y = torch.randint(0, 90, (4, 80))

    def step():
        opt.zero_grad()
        logits = model(x)
        F.cross_entropy(logits.reshape(-1, 90), y.reshape(-1)).backward()
        opt.step()

    return step


# name: (factory of a training step, examples per step reported (1: steps/s), unit)
WORKLOADS = {
    "seed": (make_seed, 1, "steps/s"),
    "emnist": (make_emnist, 20, "examples/s"),
    "charlstm": (make_charlstm, 1, "steps/s"),
}


class Runner:
    """Builds each workload once (plus one warm-up step) and times samples of it."""

    def __init__(self):
        self.steps = {}

    def sample(self, name, seconds, clock="wall"):
        make, per_step, unit = WORKLOADS[name]
        if name not in self.steps:
            self.steps[name] = make()
            self.steps[name]()  # warm-up
        return per_step * one_sample(self.steps[name], seconds, clock), unit


def serve():
    if torch is None:
        print(f"notorch {IMPORT_ERROR}", flush=True)
        return
    torch.set_num_threads(1)
    torch.manual_seed(0)
    print(f"ready torch {torch.__version__}", flush=True)
    runner = Runner()
    for line in sys.stdin:
        parts = line.split()  # name seconds [wall|cpu]
        if len(parts) == 2:
            parts.append("wall")
        if len(parts) != 3 or parts[0] not in WORKLOADS or parts[2] not in CLOCKS:
            print(f"error bad request {line.strip()!r}", flush=True)
            continue
        value, unit = runner.sample(parts[0], float(parts[1]), parts[2])
        print(f"{parts[0]} {value:.3f} {unit}", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workloads", nargs="*", default=list(WORKLOADS))
    parser.add_argument("--seconds", type=float, default=0.5, help="minimum time per sample")
    parser.add_argument("--samples", type=int, default=5)
    parser.add_argument("--cpu-time", action="store_true", help="time in process CPU time")
    parser.add_argument("--serve", action="store_true",
                        help="answer `name seconds [wall|cpu]` on stdin")
    args = parser.parse_args()
    if args.serve:
        serve()
        return
    if torch is None:
        sys.exit(f"torch_models.py: cannot import torch: {IMPORT_ERROR}")
    torch.set_num_threads(1)
    torch.manual_seed(0)
    runner = Runner()
    for name in args.workloads:
        clock = "cpu" if args.cpu_time else "wall"
        rates = [runner.sample(name, args.seconds, clock) for _ in range(args.samples)]
        print(f"{name} {statistics.median(r for r, _ in rates):.1f} {rates[0][1]}", flush=True)


if __name__ == "__main__":
    main()
