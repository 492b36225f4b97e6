"""One rank of Gloo's all-reduce benchmark, for ranks that each live in their own network
namespace (the shared peers/gloo_allreduce.py starts every rank itself on 127.0.0.1).

usage: gloo_rank.py RANK WORLD MASTER_ADDR MASTER_PORT SIZES

SIZES is a comma-separated list of byte counts. The timing loop is the shared script's:
3 warm-up all-reduces, then max(3, min(200, 2^28 / bytes)) timed ones after a barrier,
mean time per all-reduce. Rank 0 prints one line per size in the shared script's format.
"""
import os
import sys
import time

import torch
import torch.distributed as dist


def main():
    rank, world = int(sys.argv[1]), int(sys.argv[2])
    os.environ["MASTER_ADDR"], os.environ["MASTER_PORT"] = sys.argv[3], sys.argv[4]
    sizes = [int(s) for s in sys.argv[5].split(",")]
    dist.init_process_group("gloo", rank=rank, world_size=world)
    for nbytes in sizes:
        t = torch.ones(nbytes // 4)
        for _ in range(3):
            dist.all_reduce(t)
        reps = max(3, min(200, (1 << 28) // nbytes))
        dist.barrier()
        t0 = time.perf_counter()
        for _ in range(reps):
            dist.all_reduce(t)
        dt = (time.perf_counter() - t0) / reps
        if rank == 0:
            algbw = nbytes / dt / 1e9
            busbw = algbw * 2 * (world - 1) / world
            print(f"gloo world={world} bytes={nbytes} time_ms={dt*1e3:.3f} "
                  f"algbw_GBps={algbw:.3f} busbw_GBps={busbw:.3f}", flush=True)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
