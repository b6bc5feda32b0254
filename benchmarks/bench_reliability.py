"""Time alliance.stats.agreement against the peer packages and print measured ratios.

Run as ``python benchmarks/bench_reliability.py`` (``make bench`` runs every
``benchmarks/bench_*.py``). Single-threaded BLAS, so the numbers are for one core.

Three checks, from issue 4:

1. speed: at 10^5 units and more, every coefficient is at least as fast as the fastest
   peer that computes it, on the same units x raters array. Point-estimate peers
   (statsmodels, krippendorff, scikit-learn) are compared with the array API; peers that
   also return a standard error and an interval (irrCAC, statsmodels ``cohens_kappa``)
   with the same computation ``agreement`` runs after it has pivoted its long table
   (the pivot itself is timed separately, in the tidy table);
2. the study's size (55 sessions x 8 themes, 3 raters): every coefficient with 2,000
   cluster-bootstrap resamples in under 1 s;
3. memory: peak allocation per unit stays flat from 10^5 to 10^6 units (linear memory).
"""

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import platform  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
import warnings  # noqa: E402
from importlib.metadata import PackageNotFoundError, version  # noqa: E402

import krippendorff  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.metrics import cohen_kappa_score  # noqa: E402
from statsmodels.stats.inter_rater import (  # noqa: E402
    aggregate_raters,
    cohens_kappa,
    to_table,
)
from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss  # noqa: E402

from alliance.stats import agreement as reliability  # noqa: E402

try:  # irrCAC's Python port pins old pandas/scipy; it is optional
    from irrCAC.raw import CAC
except ImportError:  # pragma: no cover - depends on the environment
    CAC = None

SIZES = {"study (440)": 55 * 8, "1e5": 100_000, "1e6": 1_000_000}
RATERS = 3
BUDGET_S = 0.5  # repeat each timing until this much time is spent ...
MIN_REPEATS = 3  # ... and at least this often: the minimum filters out load spikes
BOOTSTRAP_TARGET_S = 1.0


def simulate(n_units: int, seed: int = 0) -> np.ndarray:
    """Binary codes (theme present or not) from 3 raters who agree ~90% of the time."""
    rng = np.random.default_rng(seed)
    truth = (rng.random(n_units) < 0.3).astype(np.int64)
    flip = rng.random((n_units, RATERS)) < 0.1
    return np.where(flip, 1 - truth[:, None], truth[:, None])


def to_long(ratings: np.ndarray) -> pd.DataFrame:
    n = ratings.shape[0]
    return pd.DataFrame(
        {
            "unit": np.repeat(np.arange(n), RATERS),
            "rater": np.tile(np.array(["R1", "R2", "R3"]), n),
            "code": ratings.ravel(),
        }
    )


def best_time(func, budget: float = BUDGET_S) -> float:
    """Minimum wall time of ``func()`` over repeats filling ``budget`` seconds."""
    times, spent = [], 0.0
    while spent < budget or len(times) < MIN_REPEATS:
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
        spent += times[-1]
        if len(times) >= 50:
            break
    return min(times)


def ours_array(name: str, x: np.ndarray):
    func = getattr(reliability, name)
    if name == "cohen_kappa":
        return lambda: func(x[:, :2])
    return lambda: func(x)


def ours_with_se(name: str, x: np.ndarray):
    """Estimate, analytic SE and interval from the array: ``agreement`` minus the pivot."""
    ratings = x[:, :2] if name == "cohen_kappa" else x

    def run():
        coded = reliability._code_ratings(ratings)
        design = reliability._LongDesign(coded, np.arange(coded.n), coded.n, None)
        return reliability._coefficient_rows(
            design, [name], categories=None, weights=None, level="nominal",
            confidence=0.95, plan=None,
        )  # fmt: skip

    return run


def peers(x: np.ndarray, frame: pd.DataFrame | None) -> dict[str, list[tuple[str, str, object]]]:
    """coefficient -> [(peer, kind, callable)], kind "estimate" or "estimate+SE"."""
    out = {
        "fleiss_kappa": [
            ("statsmodels", "estimate", lambda: sm_fleiss(aggregate_raters(x)[0])),
        ],
        "brennan_prediger": [
            (
                "statsmodels (randolph)",
                "estimate",
                lambda: sm_fleiss(aggregate_raters(x)[0], method="randolph"),
            ),
        ],
        "krippendorff_alpha": [
            (
                "krippendorff",
                "estimate",
                lambda: krippendorff.alpha(x.T, level_of_measurement="nominal"),
            ),
        ],
        "cohen_kappa": [
            ("scikit-learn", "estimate", lambda: cohen_kappa_score(x[:, 0], x[:, 1])),
            ("statsmodels", "estimate+SE", lambda: cohens_kappa(to_table(x[:, :2])[0])),
        ],
        "gwet_ac1": [],
        "conger_kappa": [],
    }
    if CAC is not None and frame is not None:
        for name, method in [
            ("fleiss_kappa", "fleiss"),
            ("brennan_prediger", "bp"),
            ("krippendorff_alpha", "krippendorff"),
            ("gwet_ac1", "gwet"),
            ("conger_kappa", "conger"),
        ]:
            out[name].append(("irrCAC", "estimate+SE", lambda m=method: getattr(CAC(frame), m)()))
    return out


def speed_table() -> pd.DataFrame:
    rows = []
    for label, n in SIZES.items():
        x = simulate(n)
        frame = pd.DataFrame(x.astype(float)) if CAC is not None else None
        for name, entries in peers(x, frame).items():
            ours = {"estimate": best_time(ours_array(name, x))}
            ours["estimate+SE"] = best_time(ours_with_se(name, x))
            for peer, kind, func in entries:
                try:
                    peer_s = best_time(func)
                except Exception as exc:  # a peer broken in this environment is skipped
                    print(f"  ({peer} failed on {name} at {label}: {type(exc).__name__})")
                    continue
                rows.append(
                    {
                        "coefficient": name,
                        "units": label,
                        "peer": peer,
                        "compares": kind,
                        "peer_ms": 1e3 * peer_s,
                        "ours_ms": 1e3 * ours[kind],
                        "speedup": peer_s / ours[kind],
                    }
                )
    return pd.DataFrame(rows)


def tidy_table() -> pd.DataFrame:
    """The whole tidy call: validate and pivot the long table, every coefficient + SE."""
    rows = []
    for label, n in SIZES.items():
        long = to_long(simulate(n))
        seconds = best_time(lambda long=long: reliability.agreement(long, "unit", "rater", "code"))
        rows.append({"units": label, "long_rows": len(long), "agreement_ms": 1e3 * seconds})
    return pd.DataFrame(rows)


def target_verdicts(table: pd.DataFrame) -> pd.DataFrame:
    """At 1e5 and 1e6 units, compare ours with the fastest peer of each coefficient."""
    large = table[table["units"] != "study (440)"]
    verdict = (
        large.sort_values("peer_ms")
        .groupby(["coefficient", "units"], sort=True)
        .first()
        .reset_index()[["coefficient", "units", "peer", "peer_ms", "ours_ms", "speedup"]]
    )
    verdict["target"] = np.where(verdict["speedup"] >= 1.0, "met", "MISSED")
    return verdict


def study_long(seed: int = 1) -> pd.DataFrame:
    """55 sessions x 8 themes x 3 raters, binary presence codes, like the study."""
    x = simulate(55 * 8, seed)
    long = to_long(x)
    long["session_id"] = long["unit"] // 8
    return long


def bootstrap_timing() -> float:
    long = study_long()
    return best_time(
        lambda: reliability.agreement(
            long, "unit", "rater", "code", ci="bootstrap", n_boot=2000, cluster="session_id"
        ),
        budget=2.0,
    )


def peak_bytes_per_unit() -> pd.DataFrame:
    array_methods = ["fleiss_kappa", "krippendorff_alpha", "conger_kappa", "gwet_ac1"]
    rows = []
    for label in ("1e5", "1e6"):
        n = SIZES[label]
        x = simulate(n)
        long = to_long(x)
        workloads = {
            "array API: Fleiss, alpha, Conger, AC1": lambda x=x: [
                ours_array(m, x)() for m in array_methods
            ],
            "agreement(): all coefficients + SEs": lambda long=long: reliability.agreement(
                long, "unit", "rater", "code"
            ),
        }
        for what, func in workloads.items():
            tracemalloc.start()
            func()
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            rows.append(
                {
                    "workload": what,
                    "units": label,
                    "peak_MiB": peak / 2**20,
                    "bytes_per_unit": peak / n,
                }
            )
    return pd.DataFrame(rows)


def package_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def main() -> None:
    warnings.simplefilter("ignore")
    print("Agreement statistics benchmark (alliance.stats.agreement)")
    print(
        f"python {platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}, "
        f"statsmodels {package_version('statsmodels')}, scikit-learn "
        f"{package_version('scikit-learn')}, krippendorff {package_version('krippendorff')}, "
        f"irrCAC {package_version('irrCAC')}; {os.cpu_count()} CPUs, load average "
        f"{os.getloadavg()[0]:.1f}; BLAS threads {os.environ['OPENBLAS_NUM_THREADS']}"
    )
    if CAC is None:
        print("irrCAC (Python port) is not installed: its rows are skipped.")
    print("\n1. Speed: minimum wall time; speedup = peer time / our time (> 1: we are faster)")
    table = speed_table()
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3g}"))
    print("\n   Target: at >= 1e5 units, never slower than the fastest peer")
    print(target_verdicts(table).to_string(index=False, float_format=lambda v: f"{v:.3g}"))
    print("\n   Tidy agreement(): long table in, every coefficient with analytic SE out")
    print(tidy_table().to_string(index=False, float_format=lambda v: f"{v:.3g}"))
    boot = bootstrap_timing()
    status = "met" if boot < BOOTSTRAP_TARGET_S else "MISSED"
    print(
        f"\n2. Study size, all coefficients + 2000 cluster-bootstrap resamples: {boot:.3f} s "
        f"(target < {BOOTSTRAP_TARGET_S:.0f} s: {status})"
    )
    print("\n3. Memory: peak traced allocation (linear memory = flat bytes per unit)")
    print(peak_bytes_per_unit().to_string(index=False, float_format=lambda v: f"{v:.3g}"))


if __name__ == "__main__":
    main()
