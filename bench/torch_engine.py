"""PyTorch side of `deno task bench`: matmul GFLOP/s and MLP 784-128-10 SGD step time,
printed as one JSON object. usage: torch_engine.py [cpu|cuda]"""
import json, sys, time
import torch

dev = sys.argv[1] if len(sys.argv) > 1 else "cpu"
torch.manual_seed(0)
torch.backends.cuda.matmul.allow_tf32 = False


def sync():
    if dev == "cuda":
        torch.cuda.synchronize()


def timed(fn, min_s=0.5, max_reps=200):
    fn(); sync()
    reps, t0 = 0, time.perf_counter()
    while reps < max_reps and (reps == 0 or time.perf_counter() - t0 < min_s):
        fn(); reps += 1
    sync()
    return (time.perf_counter() - t0) / reps


out = {"device": torch.cuda.get_device_name() if dev == "cuda" else f"cpu ({torch.get_num_threads()} threads)",
       "matmul_gflops": {}, "mlp_step_ms": {}}
for n in (256, 512, 1024):
    a, b = torch.rand(n, n, device=dev), torch.rand(n, n, device=dev)
    out["matmul_gflops"][n] = 2 * n ** 3 / timed(lambda: a @ b) / 1e9
model = torch.nn.Sequential(torch.nn.Linear(784, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10)).to(dev)
opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-4)
loss_fn = torch.nn.CrossEntropyLoss()
for batch in (64, 1024):
    x, y = torch.rand(batch, 784, device=dev), torch.randint(0, 10, (batch,), device=dev)

    def step():
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()
    out["mlp_step_ms"][batch] = timed(step) * 1e3
print(json.dumps(out))
