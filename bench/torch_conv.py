"""PyTorch side of the convolutional-network benchmarks and acceptance runs, printed as
JSON lines. The models are the ones `--model lenet5|resnet20` builds (core/nn/models.ts).

usage: torch_conv.py step [cpu|cuda]        ms per SGD step of LeNet-5 (1x28x28) and
                                             ResNet-20 (3x32x32) at batch 64
       torch_conv.py fashion EPOCHS SEED    LeNet-5 on Fashion-MNIST (Debian's IDX files),
                                             SGD lr 0.05, momentum 0.9, weight decay 1e-4,
                                             batch 64: test accuracy and seconds per epoch
"""
import gzip, json, struct, sys, time
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False


def lenet5(channels, size, classes):
    pad = (28 - size + 4) // 2
    return nn.Sequential(
        nn.Conv2d(channels, 6, 5, padding=pad), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, classes))


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return F.relu(y + (x if self.downsample is None else self.downsample(x)))


def resnet20(channels, classes):
    layers = [nn.Conv2d(channels, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU()]
    cin = 16
    for cout, stride in ((16, 1), (32, 2), (64, 2)):
        for i in range(3):
            layers.append(BasicBlock(cin, cout, stride if i == 0 else 1))
            cin = cout
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, classes)]
    return nn.Sequential(*layers)


def allcnn_c(channels, classes):
    c = lambda cin, cout, k, s=1, p=0: [nn.Conv2d(cin, cout, k, s, p), nn.ReLU()]
    return nn.Sequential(
        nn.Dropout(0.2), *c(channels, 96, 3, p=1), *c(96, 96, 3, p=1), *c(96, 96, 3, 2, 1), nn.Dropout(0.5),
        *c(96, 192, 3, p=1), *c(192, 192, 3, p=1), *c(192, 192, 3, 2, 1), nn.Dropout(0.5),
        *c(192, 192, 3), *c(192, 192, 1), nn.Conv2d(192, classes, 1), nn.AdaptiveAvgPool2d(1), nn.Flatten())


def timed(fn, sync, min_s=1.0, max_reps=100):
    fn(); sync()
    reps, t0 = 0, time.perf_counter()
    while reps < max_reps and (reps == 0 or time.perf_counter() - t0 < min_s):
        fn(); reps += 1
    sync()
    return (time.perf_counter() - t0) / reps


def step_bench(dev):
    sync = torch.cuda.synchronize if dev == "cuda" else (lambda: None)
    torch.manual_seed(0)
    for name, model, shape in (("lenet5", lenet5(1, 28, 10), (1, 28, 28)),
                               ("resnet20", resnet20(3, 10), (3, 32, 32))):
        model = model.to(dev)
        opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-4)
        x = torch.rand(64, *shape, device=dev)
        y = torch.randint(0, 10, (64,), device=dev)

        def step():
            opt.zero_grad()
            F.cross_entropy(model(x), y).backward()
            opt.step()
        print(json.dumps({"model": name, "device": dev, "threads": torch.get_num_threads(),
                          "step_ms": timed(step, sync) * 1e3}))


def idx(path):
    with gzip.open(path) as f:
        data = f.read()
    dims = data[3]
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return torch.frombuffer(bytearray(data[4 + 4 * dims:]), dtype=torch.uint8).reshape(shape)


def fashion(epochs, seed):
    root = "/usr/share/datasets/fashion-mnist/"
    xs = idx(root + "train-images-idx3-ubyte.gz").float().div(255).unsqueeze(1)
    ys = idx(root + "train-labels-idx1-ubyte.gz").long()
    xt = idx(root + "t10k-images-idx3-ubyte.gz").float().div(255).unsqueeze(1)
    yt = idx(root + "t10k-labels-idx1-ubyte.gz").long()
    torch.manual_seed(seed)
    model = lenet5(1, 28, 10)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-4)
    for epoch in range(1, epochs + 1):
        t0 = time.perf_counter()
        model.train()
        for idxs in torch.randperm(len(xs)).split(64):
            opt.zero_grad()
            F.cross_entropy(model(xs[idxs]), ys[idxs]).backward()
            opt.step()
        seconds = time.perf_counter() - t0
        model.eval()
        with torch.no_grad():
            correct = sum((model(xt[i:i + 1000]).argmax(1) == yt[i:i + 1000]).sum().item()
                          for i in range(0, len(xt), 1000))
        print(json.dumps({"epoch": epoch, "test_acc": correct / len(xt), "seconds": seconds}), flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "step":
        step_bench(sys.argv[2] if len(sys.argv) > 2 else "cpu")
    else:
        fashion(int(sys.argv[2]), int(sys.argv[3]))
