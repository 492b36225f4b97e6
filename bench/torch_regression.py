#!/usr/bin/env python3
"""PyTorch side of the README's regression examples on the committed housing data
(docs/data/): the same split (row k a test sample iff k % 5 == 4), features standardised
with the training split's mean and population std (`--normalize`), a linear model with
nn.Linear's default init, Adam, batch 16 (the last partial batch included), 60 epochs,
shuffled each epoch by torch's generator seeded with the seed; then the test split's RMSE,
MAE and R² as gradmesh computes them (scikit-learn's definitions, averaged over targets).

    /usr/bin/python3 bench/torch_regression.py --seeds 0,1,2

Runs: `prices` (demo_prices.csv, target price, MSE, lr 1) and `prices-rent` (demo_x.npy,
demo_y.npy, two targets, L1 summed over the batch, lr 5), as in README.md.
"""

import argparse
import os

import numpy as np
import torch

here = os.path.dirname(os.path.abspath(__file__))
data = os.path.join(here, "..", "docs", "data")


def split(x, y):
    test = np.arange(len(x)) % 5 == 4
    return x[~test], y[~test], x[test], y[test]


def scores(y, p):
    rmse = np.sqrt(((y - p) ** 2).mean(axis=0)).mean()
    mae = np.abs(y - p).mean()
    r2 = (1 - ((y - p) ** 2).sum(axis=0) / ((y - y.mean(axis=0)) ** 2).sum(axis=0)).mean()
    return rmse, mae, r2


def run(x, y, loss, reduction, lr, seed, epochs=60, batch=16):
    torch.manual_seed(seed)
    xtr, ytr, xte, yte = split(x.astype(np.float32), y.astype(np.float32))
    mean, std = xtr.mean(axis=0), xtr.std(axis=0)
    xtr, xte = (xtr - mean) / std, (xte - mean) / std
    xtr, ytr, xte = map(torch.from_numpy, (xtr, ytr, xte))
    model = torch.nn.Linear(x.shape[1], y.shape[1])
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    fn = {"mse": torch.nn.MSELoss, "l1": torch.nn.L1Loss}[loss](reduction=reduction)
    for _ in range(epochs):
        perm = torch.randperm(len(xtr))
        for i in range(0, len(xtr), batch):
            idx = perm[i:i + batch]
            opt.zero_grad()
            fn(model(xtr[idx]), ytr[idx]).backward()
            opt.step()
    with torch.no_grad():
        return scores(yte, model(xte).numpy())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", default="0,1,2")
    seeds = [int(s) for s in ap.parse_args().seeds.split(",")]
    csv = np.loadtxt(os.path.join(data, "demo_prices.csv"), delimiter=",", skiprows=1)
    runs = {
        "prices": (csv[:, :3], csv[:, 3:], "mse", "mean", 1.0),
        "prices-rent": (np.load(os.path.join(data, "demo_x.npy")),
                        np.load(os.path.join(data, "demo_y.npy")), "l1", "sum", 5.0),
    }
    print(f"| run | seeds | test RMSE | test MAE | test R² |")
    print("| --- | --- | ---: | ---: | ---: |")
    for name, (x, y, loss, reduction, lr) in runs.items():
        results = np.array([run(x, y, loss, reduction, lr, s) for s in seeds])
        rmse, mae, r2 = results.mean(axis=0)
        print(f"| PyTorch {name} | {len(seeds)} | {rmse:.3f} | {mae:.3f} | {r2:.4f} |")


if __name__ == "__main__":
    main()
