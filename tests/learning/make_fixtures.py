#!/usr/bin/env python3
"""make_fixtures.py — writes tests/learning/fixtures/fedavg.txt: two rounds of weighted FedAvg
computed by PyTorch on fixed data and weights, for test_fedavg_fixtures.c to compare with.

The model is Keras's Dense(3, softmax) on 6 features (kernel [in, out], then bias); 3 clients hold
3, 5 and 7 examples; each round every client starts from the server's weights and runs 2 epochs of
plain SGD (learning rate 0.1) over batches of 2 in order (the last batch of an epoch is partial),
minimizing the mean sparse categorical cross-entropy of its batch; the server averages the updates
(w_start - w_client) weighted by the clients' example counts and applies SGD with learning rate 0.7.

Run by hand with Debian's python3-torch (`/usr/bin/python3 tests/learning/make_fixtures.py`); the output is
committed and CI only reads it. Each line is `name count v0 v1 ...` (%.9g), as in tests/nn.
"""
import math
import os

import torch

torch.set_default_dtype(torch.float64)  # references in double; C computes in float32

CLIENTS = [3, 5, 7]
LR_CLIENT, LR_SERVER, BATCH, EPOCHS, ROUNDS = 0.1, 0.7, 2, 2, 2
lines = []


def emit(name, t):
    v = t.detach().reshape(-1).tolist()
    lines.append(name + " " + str(len(v)) + " " + " ".join("%.9g" % x for x in v))


def vals(n, seed, lo=-1.0, hi=1.0):
    out, s = [], seed * 2654435761 % 2**32
    for _ in range(n):
        s = (1664525 * s + 1013904223) % 2**32
        out.append(lo + (hi - lo) * s / 2**32)
    return out


def tensor(shape, seed, lo=-1.0, hi=1.0):
    return torch.tensor(vals(math.prod(shape), seed, lo, hi)).float().double().reshape(shape)


w = tensor((6, 3), 1, -0.5, 0.5)
b = tensor((3,), 2, -0.1, 0.1)
emit("kernel", w)
emit("bias", b)
data = []
for c, n in enumerate(CLIENTS):
    x = tensor((n, 6), 100 + c, 0.0, 1.0)
    y = torch.tensor([int(v * 3) % 3 for v in vals(n, 200 + c, 0.0, 1.0)])
    emit("x_%d" % c, x)
    emit("y_%d" % c, y.double())
    data.append((x, y))


def loss_of(w, b, x, y):
    p = torch.softmax(x @ w + b, dim=1)
    return -torch.log(p[torch.arange(len(y)), y]).mean()


for r in range(ROUNDS):
    acc_w, acc_b, total, loss_sum = torch.zeros_like(w), torch.zeros_like(b), 0.0, 0.0
    for x, y in data:
        cw, cb = w.clone().requires_grad_(True), b.clone().requires_grad_(True)
        for _ in range(EPOCHS):
            for i in range(0, len(y), BATCH):
                loss = loss_of(cw, cb, x[i:i + BATCH], y[i:i + BATCH])
                gw, gb = torch.autograd.grad(loss, (cw, cb))
                loss_sum += loss.item() * len(y[i:i + BATCH])
                with torch.no_grad():
                    cw -= LR_CLIENT * gw
                    cb -= LR_CLIENT * gb
        acc_w += (w - cw.detach()) * len(y)
        acc_b += (b - cb.detach()) * len(y)
        total += len(y) * EPOCHS
    n_examples = sum(CLIENTS)
    w = w - LR_SERVER * acc_w / n_examples
    b = b - LR_SERVER * acc_b / n_examples
    emit("kernel_round%d" % (r + 1), w)
    emit("bias_round%d" % (r + 1), b)
    emit("train_loss_round%d" % (r + 1), torch.tensor([loss_sum / total]))

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "fedavg.txt")
with open(path, "w") as f:
    f.write("# written by tests/learning/make_fixtures.py (PyTorch %s)\n" % torch.__version__)
    f.write("\n".join(lines) + "\n")
print("wrote", path)
