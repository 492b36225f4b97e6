"""PyTorch side of `deno task bench:cpu`: fp32 matmul GFLOP/s at n = 256, 512, 1024 with
torch.set_num_threads(t) for each thread count given, printed as one JSON object
{"<t>": {"<n>": gflops}}. usage: torch_cpu.py THREADS..."""
import json, sys, time
import torch

torch.manual_seed(0)


def timed(fn, min_s=0.3):
    fn()
    reps, t0 = 0, time.perf_counter()
    while reps == 0 or time.perf_counter() - t0 < min_s:
        fn()
        reps += 1
    return (time.perf_counter() - t0) / reps


out = {}
for t in (int(a) for a in sys.argv[1:]):
    torch.set_num_threads(t)
    out[t] = {}
    for n in (256, 512, 1024):
        a, b = torch.rand(n, n), torch.rand(n, n)
        out[t][n] = 2 * n ** 3 / timed(lambda: a @ b) / 1e9
print(json.dumps(out))
