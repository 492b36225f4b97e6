"""PyTorch side of `deno task bench`: matmul GFLOP/s and MLP SGD step time, printed as one
JSON object. usage: torch_engine.py [cpu|cuda] [SIZES] [STEPS], e.g.
torch_engine.py cuda 256,512,1024,4096 784-128-10@64,784-256-128-10@1024
(defaults: 256,512,1024 and 784-128-10@64,784-128-10@1024)."""
import json, os, sys, time
import torch

dev = sys.argv[1] if len(sys.argv) > 1 else "cpu"
sizes = [int(v) for v in (sys.argv[2] if len(sys.argv) > 2 else "256,512,1024").split(",")]
steps = (sys.argv[3] if len(sys.argv) > 3 else "784-128-10@64,784-128-10@1024").split(",")
torch.manual_seed(0)
torch.backends.cuda.matmul.allow_tf32 = False
# PyTorch at its defaults (its best here: more intra-op threads slow the small steps). Its
# products run on the BLAS's own threads (OpenBLAS takes every core unless
# OPENBLAS_NUM_THREADS says otherwise), which the label names beside PyTorch's own.
blas_threads = int(os.environ.get("OPENBLAS_NUM_THREADS", os.cpu_count()))


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


out = {"device": torch.cuda.get_device_name() if dev == "cuda" else f"cpu ({torch.get_num_threads()} torch thread(s), BLAS on {blas_threads})",
       "matmul_gflops": {}, "mlp_step_ms": {}}
for n in sizes:
    a, b = torch.rand(n, n, device=dev), torch.rand(n, n, device=dev)
    out["matmul_gflops"][n] = 2 * n ** 3 / timed(lambda: a @ b) / 1e9
loss_fn = torch.nn.CrossEntropyLoss()
for key in steps:
    widths, batch = key.split("@")
    widths, batch = [int(w) for w in widths.split("-")], int(batch)
    layers = []
    for i in range(len(widths) - 1):
        layers += [torch.nn.Linear(widths[i], widths[i + 1]), torch.nn.ReLU()]
    model = torch.nn.Sequential(*layers[:-1]).to(dev)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-4)
    x, y = torch.rand(batch, widths[0], device=dev), torch.randint(0, widths[-1], (batch,), device=dev)

    def step():
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()
    out["mlp_step_ms"][key] = timed(step) * 1e3
print(json.dumps(out))
