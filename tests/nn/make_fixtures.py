#!/usr/bin/env python3
"""make_fixtures.py — writes tests/nn/fixtures/layers.txt: forward outputs and gradients computed
by PyTorch for small layers and losses with fixed weights and inputs, in Keras's layouts
(NHWC, kernel [kh, kw, cin, cout], Dense kernel [in, out], LSTM gates i, f, c, o).

Run by hand with Debian's python3-torch (`python3 tests/nn/make_fixtures.py`); the output is
committed and CI only reads it. Each line is `name count v0 v1 ...` (float32 values, %.9g).
Inputs come from a fixed numpy-free generator so the file is reproducible.
"""
import math
import os

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)  # references in double; C computes in float32

lines = []


def emit(name, t):
    v = t.detach().reshape(-1).tolist()
    lines.append(name + " " + str(len(v)) + " " + " ".join("%.9g" % x for x in v))


def vals(n, seed, lo=-1.0, hi=1.0):
    # A small LCG, so inputs do not depend on torch's generator.
    out, s = [], seed * 2654435761 % 2**32
    for _ in range(n):
        s = (1664525 * s + 1013904223) % 2**32
        out.append(lo + (hi - lo) * s / 2**32)
    return out


def tensor(shape, seed, lo=-1.0, hi=1.0):
    n = math.prod(shape)
    # round to float32 so C reads exactly the same inputs
    return torch.tensor(vals(n, seed, lo, hi)).float().double().reshape(shape).requires_grad_(True)


# ---- Dense 4 -> 5, tanh, batch 3 ----
x = tensor((3, 4), 1)
w = tensor((4, 5), 2)
b = tensor((5,), 3)
y = torch.tanh(x @ w + b)
dy = tensor(y.shape, 4).detach()
y.backward(dy)
for k, t in [("dense.x", x), ("dense.w", w), ("dense.b", b), ("dense.dy", dy), ("dense.y", y),
             ("dense.dx", x.grad), ("dense.dw", w.grad), ("dense.db", b.grad)]:
    emit(k, t)


def same_pad(n, k, s):
    out = -(-n // s)
    total = max((out - 1) * s + k - n, 0)
    return total // 2, total - total // 2


# ---- Conv2D 3x3, 4 filters, stride 2, SAME, relu; x NHWC [2,5,6,3] ----
x = tensor((2, 5, 6, 3), 5)
k = tensor((3, 3, 3, 4), 6)
b = tensor((4,), 7)
xt = x.permute(0, 3, 1, 2)
pt, pb = same_pad(5, 3, 2)
pl, pr = same_pad(6, 3, 2)
z = F.conv2d(F.pad(xt, (pl, pr, pt, pb)), k.permute(3, 2, 0, 1), b, stride=2)
y = torch.relu(z).permute(0, 2, 3, 1)
dy = tensor(y.shape, 8).detach()
y.backward(dy)
for n_, t in [("conv.x", x), ("conv.k", k), ("conv.b", b), ("conv.dy", dy), ("conv.y", y),
              ("conv.dx", x.grad), ("conv.dk", k.grad), ("conv.db", b.grad)]:
    emit(n_, t)

# ---- Conv2D 3x3 at stride 1 over 16+ channels (the Winograd path), relu: SAME on x NHWC
# [2,5,6,16] with 16 filters, and VALID on [1,7,5,17] with 18 filters ----
for name, shape, filters, padding, seed in [("wconv", (2, 5, 6, 16), 16, "same", 40),
                                            ("wconv_valid", (1, 7, 5, 17), 18, "valid", 50)]:
    x = tensor(shape, seed)
    k = tensor((3, 3, shape[3], filters), seed + 1)
    b = tensor((filters,), seed + 2)
    xt = x.permute(0, 3, 1, 2)
    if padding == "same":
        pt, pb = same_pad(shape[1], 3, 1)
        pl, pr = same_pad(shape[2], 3, 1)
        xt = F.pad(xt, (pl, pr, pt, pb))
    z = F.conv2d(xt, k.permute(3, 2, 0, 1), b)
    y = torch.relu(z).permute(0, 2, 3, 1)
    dy = tensor(y.shape, seed + 3).detach()
    y.backward(dy)
    for n_, t in [("x", x), ("k", k), ("b", b), ("dy", dy), ("y", y), ("dx", x.grad),
                  ("dk", k.grad), ("db", b.grad)]:
        emit(name + "." + n_, t)

# ---- MaxPool 2x2 (valid) and AvgPool 3x3 stride 2 SAME on [2,5,5,3] ----
x = tensor((2, 5, 5, 3), 9)
y = F.max_pool2d(x.permute(0, 3, 1, 2), 2).permute(0, 2, 3, 1)
dy = tensor(y.shape, 10).detach()
y.backward(dy)
emit("maxpool.x", x), emit("maxpool.dy", dy), emit("maxpool.y", y), emit("maxpool.dx", x.grad)
x = tensor((2, 5, 5, 3), 11)
y = F.avg_pool2d(x.permute(0, 3, 1, 2), 3, 2, padding=1, count_include_pad=False)
y = y.permute(0, 2, 3, 1)
dy = tensor(y.shape, 12).detach()
y.backward(dy)
emit("avgpool.x", x), emit("avgpool.dy", dy), emit("avgpool.y", y), emit("avgpool.dx", x.grad)

# ---- LSTM 3 -> 4 units, return sequences, batch 2, 5 steps ----
x = tensor((2, 5, 3), 13)
kern = tensor((3, 16), 14, -0.5, 0.5)
rec = tensor((4, 16), 15, -0.5, 0.5)
bias = tensor((16,), 16, -0.5, 0.5)
lstm = torch.nn.LSTM(3, 4, batch_first=True)
with torch.no_grad():
    lstm.weight_ih_l0.copy_(kern.t())
    lstm.weight_hh_l0.copy_(rec.t())
    lstm.bias_ih_l0.copy_(bias)
    lstm.bias_hh_l0.zero_()
y, _ = lstm(x)
dy = tensor(y.shape, 17).detach()
y.backward(dy)
for n_, t in [("lstm.x", x), ("lstm.kernel", kern), ("lstm.recurrent", rec),
              ("lstm.bias", bias),
              ("lstm.dy", dy), ("lstm.y", y), ("lstm.dx", x.grad),
              ("lstm.dkernel", lstm.weight_ih_l0.grad.t()),
              ("lstm.drecurrent", lstm.weight_hh_l0.grad.t()),
              ("lstm.dbias", lstm.bias_ih_l0.grad)]:
    emit(n_, t)

# ---- GRU 3 -> 4 units (Keras reset_after=True = PyTorch's GRU), last output, batch 2 ----
x = tensor((2, 5, 3), 32)
kern = tensor((3, 12), 33, -0.5, 0.5)
rec = tensor((4, 12), 34, -0.5, 0.5)
bias = tensor((2, 12), 35, -0.5, 0.5)


def zrh_to_rzn(m):  # Keras columns (z, r, h) -> PyTorch rows (r, z, n)
    u = m.shape[-1] // 3
    return torch.cat([m[..., u:2 * u], m[..., :u], m[..., 2 * u:]], -1)


def rzn_to_zrh(m):
    u = m.shape[-1] // 3
    return torch.cat([m[..., u:2 * u], m[..., :u], m[..., 2 * u:]], -1)


gru = torch.nn.GRU(3, 4, batch_first=True)
with torch.no_grad():
    gru.weight_ih_l0.copy_(zrh_to_rzn(kern).t())
    gru.weight_hh_l0.copy_(zrh_to_rzn(rec).t())
    gru.bias_ih_l0.copy_(zrh_to_rzn(bias[0]))
    gru.bias_hh_l0.copy_(zrh_to_rzn(bias[1]))
out, _ = gru(x)
y = out[:, -1, :]
dy = tensor(y.shape, 36).detach()
y.backward(dy)
for n_, t in [("gru.x", x), ("gru.kernel", kern), ("gru.recurrent", rec), ("gru.bias", bias),
              ("gru.dy", dy), ("gru.y", y), ("gru.dx", x.grad),
              ("gru.dkernel", rzn_to_zrh(gru.weight_ih_l0.grad.t())),
              ("gru.drecurrent", rzn_to_zrh(gru.weight_hh_l0.grad.t())),
              ("gru.dbias", torch.stack([rzn_to_zrh(gru.bias_ih_l0.grad),
                                         rzn_to_zrh(gru.bias_hh_l0.grad)]))]:
    emit(n_, t)

# ---- LayerNorm over 5 (eps 1e-3) and BatchNorm (training, eps 1e-3) over [6, 3] ----
x = tensor((3, 5), 18)
g = tensor((5,), 19, 0.5, 1.5)
be = tensor((5,), 20)
y = F.layer_norm(x, (5,), g, be, eps=1e-3)
dy = tensor(y.shape, 21).detach()
y.backward(dy)
for n_, t in [("ln.x", x), ("ln.gamma", g), ("ln.beta", be), ("ln.dy", dy), ("ln.y", y),
              ("ln.dx", x.grad), ("ln.dgamma", g.grad), ("ln.dbeta", be.grad)]:
    emit(n_, t)
x = tensor((6, 3), 22)
g = tensor((3,), 23, 0.5, 1.5)
be = tensor((3,), 24)
y = F.batch_norm(x, None, None, g, be, training=True, eps=1e-3)
dy = tensor(y.shape, 25).detach()
y.backward(dy)
for n_, t in [("bn.x", x), ("bn.gamma", g), ("bn.beta", be), ("bn.dy", dy), ("bn.y", y),
              ("bn.dx", x.grad), ("bn.dgamma", g.grad), ("bn.dbeta", be.grad)]:
    emit(n_, t)

# ---- GroupNorm, 2 groups of 2 channels, per-example shape [3, 4] (positions, channels) ----
x = tensor((2, 3, 4), 37)
g = tensor((4,), 38, 0.5, 1.5)
be = tensor((4,), 39)
y = F.group_norm(x.transpose(1, 2), 2, g, be, eps=1e-3).transpose(1, 2)
dy = tensor(y.shape, 40).detach()
y.backward(dy)
for n_, t in [("gn.x", x), ("gn.gamma", g), ("gn.beta", be), ("gn.dy", dy), ("gn.y", y),
              ("gn.dx", x.grad), ("gn.dgamma", g.grad), ("gn.dbeta", be.grad)]:
    emit(n_, t)

# ---- Activations on 2 x 5 ----
for name, fn in [("gelu", lambda t: F.gelu(t)), ("softmax", lambda t: torch.softmax(t, -1)),
                 ("sigmoid", torch.sigmoid), ("tanh", torch.tanh)]:
    x = tensor((2, 5), 26, -3, 3)
    y = fn(x)
    dy = tensor(y.shape, 27).detach()
    y.backward(dy)
    emit("act_" + name + ".x", x), emit("act_" + name + ".dy", dy)
    emit("act_" + name + ".y", y), emit("act_" + name + ".dx", x.grad)

# ---- Losses, batch 4, 3 classes, sample weights; Keras reduction sum(w l) / batch ----
z = tensor((4, 3), 28, -2, 2)
w = tensor((4,), 29, 0.5, 2)
lab = torch.tensor([2, 0, 1, 1])
loss = (F.cross_entropy(z, lab, reduction="none") * w).sum() / 4
loss.backward()
emit("sce.z", z), emit("sce.w", w), emit("sce.labels", lab.double())
emit("sce.loss", loss.reshape(1)), emit("sce.dz", z.grad)
z = tensor((4, 3), 30, -2, 2)
t = tensor((4, 3), 31, 0, 1).detach()
bce = F.binary_cross_entropy_with_logits(z, t, reduction="none").mean(-1)
loss = (bce * w.detach()).sum() / 4
loss.backward()
emit("bce.z", z), emit("bce.t", t), emit("bce.loss", loss.reshape(1)), emit("bce.dz", z.grad)

# categorical cross-entropy from (unnormalized) probabilities, as Keras normalizes rows first
p = tensor((4, 3), 41, 0.1, 1.0)
t = tensor((4, 3), 42, 0, 1).detach()
q = p / p.sum(-1, keepdim=True)
loss = ((-(t * torch.log(q)).sum(-1)) * w.detach()).sum() / 4
loss.backward()
emit("cce.p", p), emit("cce.t", t), emit("cce.loss", loss.reshape(1)), emit("cce.dp", p.grad)
# mean squared error on sequences [2, 3, 2] with per-example weights
z = tensor((2, 3, 2), 43)
t = tensor((2, 3, 2), 44).detach()
w2 = torch.tensor([0.5, 2.0])
loss = (((z - t) ** 2).mean(-1) * w2[:, None]).sum() / 6
loss.backward()
emit("mse.z", z), emit("mse.t", t), emit("mse.loss", loss.reshape(1)), emit("mse.dz", z.grad)

here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "fixtures", "layers.txt"), "w") as f:
    f.write("# written by tests/nn/make_fixtures.py with torch %s; do not edit\n"
            % torch.__version__)
    f.write("\n".join(lines) + "\n")
