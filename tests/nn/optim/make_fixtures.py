#!/usr/bin/env python3
"""make_fixtures.py — writes the optimizer fixtures under tests/nn/optim/fixtures/.

Run from the repository root with Debian's python3-torch installed:
    /usr/bin/python3 tests/nn/optim/make_fixtures.py
The C tests (tests/nn/optim/test_optim_fixtures.c) read the text files this writes; CI does not
need torch. Each case runs several steps from fixed float32 weights over a fixed gradient sequence
and records the weights after every step.

fedc follows TFF's update rules (tff.learning.optimizers.build_*). Where torch.optim differs, it is
configured to compute the same thing:
  * SGD momentum / Nesterov: TFF's v = m v + g; w -= lr v is torch's SGD(dampening=0); Nesterov is
    torch's nesterov=True (w -= lr (g + m v)).
  * Adam / AdamW: TFF puts epsilon outside the bias correction ("epsilon hat", as Keras):
    w -= lr sqrt(1-b2^t)/(1-b1^t) m / (sqrt(v) + eps). torch computes
    w -= lr/(1-b1^t) m / (sqrt(v)/sqrt(1-b2^t) + eps_torch), which is the same rule when
    eps_torch = eps / sqrt(1-b2^t); the script sets that per step. AdamW's decoupled decay
    (w -= lr wd w) is the same in both.
  * Adagrad: TFF has w -= lr g / sqrt(s + eps) with s starting at initial_preconditioner_value;
    torch has w -= lr g / (sqrt(s) + eps_torch). With eps_torch = 0 and torch's
    initial_accumulator_value = initial_preconditioner_value + eps the two are equal.
  * RMSprop: TFF's s = d s + (1-d) g^2; w -= lr g / (sqrt(s) + eps) is torch's RMSprop(alpha=d).
  * Yogi and Adafactor have no torch.optim equivalent in this torch; they are computed by the
    NumPy re-implementations below of TFF's yogi.py and adafactor.py.
Every case is also computed by the NumPy re-implementation, and the script fails unless torch and
NumPy agree to 1e-5 relative, which checks the configuration above.
"""
import math
import os
import sys

import numpy as np

try:
    import torch
except ImportError:  # the NumPy cases can still be checked, but fixtures need torch
    torch = None

STEPS = 5
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures")
f32 = np.float32


def data(n, seed):
    rng = np.random.default_rng(seed)
    w0 = rng.normal(0, 1, n).astype(f32)
    grads = [rng.normal(0, 1, n).astype(f32) for _ in range(STEPS)]
    grads[1][0] = 0.0  # a zero gradient exercises sign(0) and 0 / eps paths
    return w0, grads


# ---- NumPy re-implementations of TFF's rules (float64 arithmetic, float32 storage as fedc) ----

def np_run(kind, o, w0, grads, segments=None):
    w = w0.copy()
    n = w.size
    st = {}
    out = []
    for t, g in enumerate(grads, start=1):
        gd = g.astype(np.float64)
        if kind == "sgd":
            lr = o["learning_rate"]
            m = o.get("momentum", 0.0)
            if m == 0:
                w = (w.astype(np.float64) - lr * gd).astype(f32)
            else:
                v = st.get("v", np.zeros(n, f32))
                v = (m * v.astype(np.float64) + gd).astype(f32)
                st["v"] = v
                step = gd + m * v if o.get("nesterov") else v.astype(np.float64)
                w = (w.astype(np.float64) - lr * step).astype(f32)
        elif kind in ("adam", "adamw", "yogi"):
            lr, b1, b2, eps = o["learning_rate"], o["beta_1"], o["beta_2"], o["epsilon"]
            m = st.get("m", np.zeros(n, f32)).astype(np.float64)
            if kind == "yogi":
                s0 = np.full(n, o["initial_preconditioner_value"], f32)
                s = st.get("s", s0).astype(np.float64)
                m = m + (gd - m) * (1 - b1)
                s = s + (1 - b2) * np.sign(gd * gd - s) * gd * gd
            else:
                s = st.get("s", np.zeros(n, f32)).astype(np.float64)
                m = b1 * m + (1 - b1) * gd
                s = b2 * s + (1 - b2) * gd * gd
            st["m"], st["s"] = m.astype(f32), s.astype(f32)
            nlr = lr * math.sqrt(1 - b2 ** t) / (1 - b1 ** t)
            upd = nlr * st["m"].astype(np.float64) / (np.sqrt(st["s"].astype(np.float64)) + eps)
            wd = o.get("weight_decay", 0.0) if kind == "adamw" else 0.0
            wd64 = w.astype(np.float64)
            w = (wd64 - upd - lr * wd * wd64).astype(f32)
        elif kind == "adagrad":
            lr, eps = o["learning_rate"], o["epsilon"]
            s = st.get("s", np.full(n, o["initial_preconditioner_value"], f32)).astype(np.float64)
            st["s"] = (s + gd * gd).astype(f32)
            s64 = st["s"].astype(np.float64)
            w = (w.astype(np.float64) - lr * gd / np.sqrt(s64 + eps)).astype(f32)
        elif kind == "rmsprop":
            lr, d, eps = o["learning_rate"], o["decay"], o["epsilon"]
            s = st.get("s", np.zeros(n, f32)).astype(np.float64)
            st["s"] = (d * s + (1 - d) * gd * gd).astype(f32)
            s64 = st["s"].astype(np.float64)
            w = (w.astype(np.float64) - lr * gd / (np.sqrt(s64) + eps)).astype(f32)
        elif kind == "adafactor":
            w = adafactor_step(o, st, t, w, g, segments)
        else:
            raise ValueError(kind)
        out.append(w.copy())
    return out


def adafactor_step(o, st, t, w, g, segments):
    """TFF's adafactor.py (_AdafactorOptimizer.next), per segment = per variable."""
    lr = o["learning_rate"]
    if o.get("relative_step", 1):
        lr = min(lr, 1 / math.sqrt(t))
    rho = min(lr, math.sqrt(t))
    b2 = 1 - t ** o["beta_2_decay"]
    eps1, eps2, clip = o["epsilon_1"], o["epsilon_2"], o["clip_threshold"]
    w = w.copy()
    off = 0
    for k, shape in enumerate(segments):
        size = int(np.prod(shape))
        wk = w[off:off + size].astype(np.float64).reshape(shape)
        gk = g[off:off + size].astype(np.float64).reshape(shape)
        alpha = max(eps2, math.sqrt(np.mean(wk * wk))) * rho
        q = gk * gk + eps1
        if len(shape) >= 2:
            r = st.get(("r", k), np.zeros(shape[:-1], f32)).astype(np.float64)
            c = st.get(("c", k), np.zeros(shape[:-2] + shape[-1:], f32)).astype(np.float64)
            r = (b2 * r + (1 - b2) * q.mean(axis=-1)).astype(f32)
            c = (b2 * c + (1 - b2) * q.mean(axis=-2)).astype(f32)
            st[("r", k)], st[("c", k)] = r, c
            r64, c64 = r.astype(np.float64), c.astype(np.float64)
            v = np.expand_dims(r64 / r64.mean(axis=-1, keepdims=True), -1) * np.expand_dims(c64, -2)
        else:
            v = st.get(("v", k), np.zeros(shape, f32)).astype(np.float64)
            v = (b2 * v + (1 - b2) * q).astype(f32)
            st[("v", k)] = v
            v = v.astype(np.float64)
        u = gk / np.sqrt(v)
        u_hat = u / max(1.0, math.sqrt(np.mean(u * u)) / clip)
        w[off:off + size] = (wk - alpha * u_hat).reshape(-1).astype(f32)
        off += size
    return w


# ---- torch runs, configured to TFF's rules ----

def torch_run(kind, o, w0, grads):
    p = torch.nn.Parameter(torch.from_numpy(w0.copy()))
    lr = o["learning_rate"]
    if kind == "sgd":
        opt = torch.optim.SGD([p], lr=lr, momentum=o.get("momentum", 0.0),
                              nesterov=bool(o.get("nesterov", 0)))
    elif kind == "adam":
        opt = torch.optim.Adam([p], lr=lr, betas=(o["beta_1"], o["beta_2"]), eps=o["epsilon"])
    elif kind == "adamw":
        opt = torch.optim.AdamW([p], lr=lr, betas=(o["beta_1"], o["beta_2"]), eps=o["epsilon"],
                                weight_decay=o["weight_decay"])
    elif kind == "adagrad":
        opt = torch.optim.Adagrad([p], lr=lr, lr_decay=0, weight_decay=0, eps=0.0,
                                  initial_accumulator_value=o["initial_preconditioner_value"]
                                  + o["epsilon"])
    elif kind == "rmsprop":
        opt = torch.optim.RMSprop([p], lr=lr, alpha=o["decay"], eps=o["epsilon"], momentum=0,
                                  centered=False)
    else:
        return None
    out = []
    for t, g in enumerate(grads, start=1):
        if kind in ("adam", "adamw"):
            opt.param_groups[0]["eps"] = o["epsilon"] / math.sqrt(1 - o["beta_2"] ** t)
        p.grad = torch.from_numpy(g.copy())
        opt.step()
        out.append(p.detach().numpy().copy())
    return out


CASES = [
    # name, kind, options, segments (adafactor), seed
    ("sgd_plain", "sgd", {"learning_rate": 0.1}, None, 1),
    ("sgd_momentum", "sgd", {"learning_rate": 0.05, "momentum": 0.9}, None, 2),
    ("sgd_nesterov", "sgd", {"learning_rate": 0.05, "momentum": 0.9, "nesterov": 1}, None, 3),
    ("adam_default", "adam", {"learning_rate": 0.01, "beta_1": 0.9, "beta_2": 0.999,
                              "epsilon": 1e-7}, None, 4),
    # a large epsilon makes its placement (outside the bias correction, as TFF) visible
    ("adam_large_eps", "adam", {"learning_rate": 0.05, "beta_1": 0.8, "beta_2": 0.99,
                                "epsilon": 0.1}, None, 5),
    ("adamw", "adamw", {"learning_rate": 0.02, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-3,
                        "weight_decay": 0.1}, None, 6),
    ("adagrad", "adagrad", {"learning_rate": 0.1, "initial_preconditioner_value": 0.1,
                            "epsilon": 0.01}, None, 7),
    ("rmsprop", "rmsprop", {"learning_rate": 0.01, "decay": 0.9, "epsilon": 0.01}, None, 8),
    ("yogi", "yogi", {"learning_rate": 0.05, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-3,
                      "initial_preconditioner_value": 1e-6}, None, 9),
    ("adafactor", "adafactor", {"learning_rate": 0.8, "beta_2_decay": -0.8, "epsilon_1": 1e-30,
                                "epsilon_2": 1e-3, "clip_threshold": 1.0, "relative_step": 1},
     [(3, 4), (5,), (2, 2, 3)], 10),
    ("adafactor_fixed_step", "adafactor", {"learning_rate": 0.05, "beta_2_decay": -0.5,
                                           "epsilon_1": 1e-3, "epsilon_2": 0.5,
                                           "clip_threshold": 0.5, "relative_step": 0},
     [(4, 2), (3,)], 11),
]


def fmt(v):
    return " ".join("%.9g" % float(x) for x in v)


def rel_diff(a, b):
    return float(np.max(np.abs(a.astype(np.float64) - b.astype(np.float64))
                        / np.maximum(1.0, np.abs(b.astype(np.float64)))))


def main():
    if torch is None:
        sys.exit("make_fixtures.py: needs torch (Debian: apt-get install python3-torch)")
    torch.set_default_dtype(torch.float32)
    os.makedirs(OUT, exist_ok=True)
    for name, kind, o, segments, seed in CASES:
        n = sum(int(np.prod(s)) for s in segments) if segments else 11
        w0, grads = data(n, seed)
        ref = np_run(kind, o, w0, grads, segments)
        got = torch_run(kind, o, w0, grads)
        source = "numpy"
        if got is not None:
            worst = max(rel_diff(a, b) for a, b in zip(got, ref))
            if worst > 1e-5:
                sys.exit(f"{name}: torch and the NumPy re-implementation differ by {worst:g}")
            ref, source = got, f"torch {torch.__version__}"
        path = os.path.join(OUT, name + ".txt")
        with open(path, "w") as f:
            f.write(f"# {name}: {kind}, {STEPS} steps; written by tests/nn/optim/make_fixtures.py "
                    f"from {source}; do not edit\n")
            f.write(f"kind {kind}\n")
            for k, v in o.items():
                f.write(f"opt {k} {v!r}\n")
            for s in segments or []:
                f.write("segment " + " ".join(str(d) for d in s) + "\n")
            f.write(f"nparams {n}\nsteps {STEPS}\n")
            f.write("w0 " + fmt(w0) + "\n")
            for t in range(STEPS):
                f.write(f"grad {t + 1} " + fmt(grads[t]) + "\n")
                f.write(f"w {t + 1} " + fmt(ref[t]) + "\n")
        print("wrote", os.path.relpath(path), "from", source)


if __name__ == "__main__":
    main()
