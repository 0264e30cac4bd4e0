#!/usr/bin/env python3
"""torch_fedavg.py — the PyTorch side of bench/fedavg: a plain FedAvg loop doing the same work.

Each round: 10 clients of 100 examples (random 28x28 inputs, labels in [0, 10)), every client
starting from the global weights, local SGD (learning rate 0.1) over batches of 20 for E epochs,
the updates averaged weighted by examples and applied to the global model with SGD 1.0.
  seed    TFF's seed model (Dense 784->10 softmax, zero-initialized), 10 epochs  client updates/s
  emnist  TFF's EMNIST CNN with dropout, 1 epoch                                  client updates/s
One thread. With --serve it answers `NAME SECONDS wall|cpu` lines with `NAME VALUE updates/s`
(see bench/bench_torch.h); without, it prints one median per workload. Needs python3-torch.
"""
import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError as e:
    torch = None
    IMPORT_ERROR = str(e)

CLIENTS, EXAMPLES, BATCH = 10, 100, 20


def seed_model():
    m = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
    nn.init.zeros_(m[1].weight)
    nn.init.zeros_(m[1].bias)
    return m


class EmnistCnn(nn.Module if torch else object):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3)
        self.conv2 = nn.Conv2d(32, 64, 3)
        self.fc1 = nn.Linear(12 * 12 * 64, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        x = F.dropout(F.max_pool2d(x, 2), 0.25, self.training)
        x = F.dropout(F.relu(self.fc1(torch.flatten(x, 1))), 0.5, self.training)
        return self.fc2(x)


def make(name):
    torch.manual_seed(0)
    model = seed_model() if name == "seed" else EmnistCnn()
    epochs = 10 if name == "seed" else 1
    clients = [(torch.rand(EXAMPLES, 1, 28, 28), torch.randint(0, 10, (EXAMPLES,)))
               for _ in range(CLIENTS)]
    global_params = [p.detach().clone() for p in model.parameters()]
    opt = torch.optim.SGD(model.parameters(), lr=0.1)

    def one_round():
        deltas = [torch.zeros_like(p) for p in global_params]
        total = 0
        for x, y in clients:
            with torch.no_grad():
                for p, g in zip(model.parameters(), global_params):
                    p.copy_(g)
            model.train()
            for _ in range(epochs):
                for i in range(0, EXAMPLES, BATCH):
                    opt.zero_grad()
                    loss = F.cross_entropy(model(x[i:i + BATCH]), y[i:i + BATCH])
                    loss.backward()
                    opt.step()
            with torch.no_grad():
                for d, p, g in zip(deltas, model.parameters(), global_params):
                    d += (g - p) * EXAMPLES
            total += EXAMPLES
        with torch.no_grad():
            for g, d in zip(global_params, deltas):
                g -= 1.0 * d / total
        return CLIENTS

    return one_round


def one_sample(step, seconds, clock):
    tick = time.process_time if clock == "cpu" else time.perf_counter
    updates, t0 = 0, tick()
    while True:
        updates += step()
        t = tick() - t0
        if t >= seconds:
            return updates / t


def serve():
    if torch is None:
        print("notorch " + IMPORT_ERROR, flush=True)
        return
    torch.set_num_threads(1)
    print("ready torch " + torch.__version__, flush=True)
    steps = {}
    for line in sys.stdin:
        name, seconds, clock = line.split()
        if name not in steps:
            steps[name] = make(name)
        print("%s %.6g updates/s" % (name, one_sample(steps[name], float(seconds), clock)),
              flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--serve", action="store_true")
    args = parser.parse_args()
    if args.serve:
        serve()
        return
    if torch is None:
        sys.exit("torch_fedavg.py: " + IMPORT_ERROR)
    torch.set_num_threads(1)
    for name in ("seed", "emnist"):
        step = make(name)
        v = statistics.median(one_sample(step, 1.0, "wall") for _ in range(5))
        print("%s %.1f updates/s" % (name, v))


if __name__ == "__main__":
    main()
