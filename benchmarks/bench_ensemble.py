"""Time the ensemble of reconstructions and print measured ratios.

Run as ``python benchmarks/bench_ensemble.py [N]`` (``make bench`` runs every
``benchmarks/bench_*.py``; default N = 16 members). BLAS is pinned to one thread,
so a worker uses one core.

Printed, from issue 10:

1. reconstructions per second, serial (one process) and parallel (joblib on every core);
2. parallel efficiency on this machine's cores: parallel rate / (cores x serial rate),
   target >= 0.8 on 2 cores;
3. a full ensemble against N x one reconstruction: the parallel ensemble's time over
   N times the time of one member, run alone;
4. memory: the peak resident set of this process, and the resident set of the largest
   worker process right after the parallel run (joblib keeps its pool alive);
5. what the default ensemble (200 members) would add to ``make book`` if a chapter
   computed it, at the measured parallel rate (target: <= 60 s on 2 cores). The book
   reads a committed summary instead, so its build adds only the reading.
"""

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import platform  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import psutil  # noqa: E402
from joblib import Parallel, delayed  # noqa: E402

from alliance.article.ensemble import (  # noqa: E402
    DEFAULT_N,
    ensemble_members,
    load_ensemble,
    reconstruct_member,
)

SEED = 99
BUDGET_S = 60.0


def _timed(function, *args, **kwargs) -> float:
    start = time.perf_counter()
    function(*args, **kwargs)
    return time.perf_counter() - start


def main(n: int) -> None:
    """Run the benchmark with ``n`` members and print the table."""
    cores = os.cpu_count() or 1
    reconstruct_member(SEED, n)  # warm imports and caches outside the timings
    # start the worker pool (process start and imports) outside the timings too
    Parallel(n_jobs=-1)(delayed(reconstruct_member)(SEED, n + 2 + i) for i in range(cores))
    one = _timed(reconstruct_member, SEED, n + 1)
    serial = _timed(ensemble_members, n, SEED, n_jobs=1)
    parallel = _timed(ensemble_members, n, SEED, n_jobs=-1)
    workers = psutil.Process().children(recursive=True)  # joblib keeps its pool alive
    worker_mib = max((w.memory_info().rss for w in workers), default=0) / 2**20
    read = _timed(load_ensemble)
    rate_serial, rate_parallel = n / serial, n / parallel
    efficiency = rate_parallel / (cores * rate_serial)
    default = DEFAULT_N / rate_parallel
    self_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"Python {platform.python_version()}, {cores} cores, load {os.getloadavg()[0]:.1f}")
    rows = [
        ("members", f"{n}", ""),
        ("one reconstruction alone (s)", f"{one:.2f}", ""),
        ("serial: reconstructions / s", f"{rate_serial:.3f}", ""),
        ("parallel: reconstructions / s", f"{rate_parallel:.3f}", ""),
        ("parallel efficiency on the cores", f"{efficiency:.2f}", ">= 0.8"),
        ("serial ensemble / (N x one)", f"{serial / (n * one):.2f}", ""),
        ("parallel ensemble / (N x one)", f"{parallel / (n * one):.2f}", ""),
        ("peak memory, main process (MiB)", f"{self_mib:.0f}", ""),
        ("memory of the largest worker after the run (MiB)", f"{worker_mib:.0f}", ""),
        (f"default ensemble ({DEFAULT_N}) computed in a chapter (s)", f"{default:.0f}", "<= 60"),
        ("reading the committed summary (s)", f"{read:.2f}", "<= 60"),
    ]
    width = max(len(r[0]) for r in rows)
    for name, value, target in rows:
        print(f"{name:<{width}}  {value:>8}  {target}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 16)
