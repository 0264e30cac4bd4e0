#!/usr/bin/env python3
"""torch_models.py — the PyTorch side of bench/models: the same training steps in PyTorch.

Runs, on one thread, the workloads that bench/models.c times in fedc and prints one line per
workload, `name value unit`, with the median of several samples:
  seed      Dense 784->10 softmax, batch 20, SGD 0.1            training steps per second
  emnist    TFF's EMNIST CNN (dropout), batch 20, SGD 0.1       examples per second
  charlstm  Shakespeare character model, seq 80, batch 4, SGD   training steps per second
Inputs are random (speed does not depend on the values). Needs Debian's python3-torch; it is
a benchmark, never a test dependency.
"""
import argparse
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


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


def steps_per_second(step, min_seconds, samples):
    step()  # warm-up
    rates = []
    for _ in range(samples):
        n, t0 = 0, time.perf_counter()
        while True:
            step()
            n += 1
            elapsed = time.perf_counter() - t0
            if elapsed >= min_seconds:
                break
        rates.append(n / elapsed)
    return statistics.median(rates)


def bench_seed(args):
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

    return steps_per_second(step, args.seconds, args.samples)


def bench_emnist(args):
    model = EmnistCnn()
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    x = torch.rand(20, 1, 28, 28)
    y = torch.randint(0, 10, (20,))

    def step():
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()

    return 20 * steps_per_second(step, args.seconds, args.samples)


def bench_charlstm(args):
    model = CharLstm()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    x = torch.randint(0, 90, (4, 80))
    y = torch.randint(0, 90, (4, 80))

    def step():
        opt.zero_grad()
        logits = model(x)
        F.cross_entropy(logits.reshape(-1, 90), y.reshape(-1)).backward()
        opt.step()

    return steps_per_second(step, args.seconds, args.samples)


WORKLOADS = {
    "seed": (bench_seed, "steps/s"),
    "emnist": (bench_emnist, "examples/s"),
    "charlstm": (bench_charlstm, "steps/s"),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workloads", nargs="*", default=list(WORKLOADS))
    parser.add_argument("--seconds", type=float, default=0.5, help="minimum time per sample")
    parser.add_argument("--samples", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    for name in args.workloads:
        fn, unit = WORKLOADS[name]
        print(f"{name} {fn(args):.1f} {unit}", flush=True)


if __name__ == "__main__":
    main()
