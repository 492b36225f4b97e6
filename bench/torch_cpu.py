"""PyTorch side of `deno task bench:cpu`: fp32 matmul GFLOP/s at n = 256, 512, 1024 on T
threads, printed as one JSON object {"<n>": gflops}. usage: torch_cpu.py T

torch.set_num_threads(T) does not reach the BLAS that PyTorch calls for matmul (Debian's
build: OpenBLAS with its own pthreads), so the caller also sets OPENBLAS_NUM_THREADS=T and
OMP_NUM_THREADS=T before this process starts."""
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


torch.set_num_threads(int(sys.argv[1]))
out = {}
for n in (256, 512, 1024):
    a, b = torch.rand(n, n), torch.rand(n, n)
    out[n] = 2 * n ** 3 / timed(lambda: a @ b) / 1e9
print(json.dumps(out))
