"""The acceptance run at a named size: every stage as ops submit it, each in its own process, with
its wall time and peak memory.

    # the national size over two years of batches, every stage (docs/operations.md, "Sizing"):
    .venv/bin/python bench/bench_acceptance.py --size national --from 2023-01 --to 2024-12 \
        --root /work/bench/national --stages generate,ingest,features,train,monthly --train-window short \
        spark.driver_memory=12g model.negative_sample_rate=0.1

Stages, in this order (`--stages a,b` picks some; the first five by default):
- `generate`: the `--size` economy for the batches `--from`..`--to`;
- `ingest`, `features`: every batch but the last, and the features of those months;
- `train`: as of the month before the last, promoted (`--train-window short`: 1 test month and 1
  validation month side by side, the months before them for training, which a short history has);
- `monthly`: the monthly run of the last batch (ingest, features, score, monitor, export);
- `month-states`: the features of the month before the last as a monthly run computes them, which
  builds the carried states (`silver/states`) from every batch (a lake featured without them); the
  `features` stage leaves them at the month before the last, which the last month folds its batch into;
- `month-ingest`, `month-features`: that run's first two steps alone, each in its own JVM, when no
  model is trained.
Each stage is `./spark-submit.sh <job>` with `paths.root=--root` and the KEY=VALUE overrides, its
output in `--root/logs/<stage>.log`. Per stage: wall time, the peak resident memory of the whole
process tree (driver and Python workers) and of its largest process (the driver JVM), sampled
every second, and the load average before and after. Results in
bench/results/acceptance_<size>_<from>_<to>.json (a later run of some stages updates theirs).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from a checkout

from signaux_spark.months import add_months, parse_month  # noqa: E402
from signaux_spark.synthetic import sizes  # noqa: E402

STAGES = ("generate", "ingest", "features", "train", "monthly", "month-states", "month-ingest", "month-features")
SHORT_TRAIN_WINDOW = [
    "model.test_months=1",
    "model.validation_months=1",
    "model.validation_blocks=1",
    "model.gap_months=1",
    "model.tuning.max_evals=4",
    "model.tuning.early_stop_trials=3",
]


def stage_commands(size: str, first: str, last: str, train_window: str) -> dict[str, list[str]]:
    previous = f"{add_months(parse_month(last), -1):%Y-%m}"
    window = SHORT_TRAIN_WINDOW if train_window == "short" else []
    return {
        "generate": ["generate", "--size", size, "--from", first, "--to", last],
        "ingest": ["ingest", "--from", first, "--to", previous, "ingest.missing_delivery=warn"],
        "features": ["features", "--from", first, "--to", previous],
        "train": ["train", "--as-of", previous, "--promote", *window],
        "monthly": ["monthly", "--batch", last],
        # the features of the month before the last as its monthly run computes them, building the
        # carried states (silver/states) from every batch: what a month without the states costs
        "month-states": ["features", "--period", previous],
        # the monthly run's first two steps alone (each in its own JVM), when no model is trained yet
        "month-ingest": ["monthly", "--batch", last, "--only", "ingest"],
        "month-features": ["monthly", "--batch", last, "--only", "features"],
    }


class TreeMemory(threading.Thread):
    """Samples the resident memory of a process and all its descendants; keeps the peak of their
    sum and of the largest one (the driver JVM)."""

    def __init__(self, pid: int, every: float = 1.0):
        super().__init__(daemon=True)
        self.pid, self.every, self.peak, self.peak_largest = pid, every, 0, 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(self.every):
            try:
                root = psutil.Process(self.pid)
                tree = [root, *root.children(recursive=True)]
            except psutil.NoSuchProcess:
                return
            sizes = []
            for proc in tree:
                try:
                    sizes.append(proc.memory_info().rss)
                except psutil.NoSuchProcess:
                    pass
            self.peak = max(self.peak, sum(sizes))
            self.peak_largest = max([self.peak_largest, *sizes])


def run_stage(name: str, args: list[str], root: Path, overrides: list[str]) -> dict:
    """Run one job to its end; its wall time, exit code and memory peaks (GiB)."""
    log_path = root / "logs" / f"{name}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    command = [str(ROOT / "spark-submit.sh"), *args, f"paths.root={root}", *overrides]
    load_before = os.getloadavg()[0]
    print(f"acceptance: {name}: {' '.join(command)}", flush=True)
    started = time.monotonic()
    with open(log_path, "w") as log:
        proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
        sampler = TreeMemory(proc.pid)
        sampler.start()
        code = proc.wait()
        sampler.done.set()
    seconds = time.monotonic() - started
    result = {
        "command": " ".join(args),
        "exit_code": code,
        "seconds": round(seconds, 1),
        "peak_tree_gib": round(sampler.peak / 2**30, 2),
        "peak_largest_process_gib": round(sampler.peak_largest / 2**30, 2),
        "load_average_before": round(load_before, 1),
        "load_average_after": round(os.getloadavg()[0], 1),
        "log": str(log_path),
    }
    print(f"acceptance: {name}: {json.dumps(result)}", flush=True)
    return result


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", default="national", choices=sorted(sizes()))
    p.add_argument("--from", dest="first", required=True, metavar="YYYY-MM")
    p.add_argument("--to", dest="last", required=True, metavar="YYYY-MM")
    p.add_argument("--root", required=True, help="paths.root of every stage (landing, lake, models, exports)")
    p.add_argument("--stages", default=",".join(STAGES[:5]), help=f"comma-separated, among {', '.join(STAGES)}")
    p.add_argument("--train-window", choices=["conf", "short"], default="conf")
    p.add_argument("overrides", nargs="*", metavar="KEY=VALUE", help="passed to every stage")
    args = p.parse_args()
    stages = args.stages.split(",")
    unknown = sorted(set(stages) - set(STAGES))
    if unknown:
        raise SystemExit(f"--stages: unknown {', '.join(unknown)} (known: {', '.join(STAGES)})")
    for month in (args.first, args.last):
        parse_month(month)  # a clear error before any stage
    if args.last <= args.first:
        raise SystemExit("--to must be after --from (the last batch is the monthly run's)")
    root = Path(args.root).resolve()
    commands = stage_commands(args.size, args.first, args.last, args.train_window)
    out = ROOT / "bench" / "results" / f"acceptance_{args.size}_{args.first}_{args.last}.json"
    results = json.loads(out.read_text()) if out.is_file() else {}
    results.update(
        {
            "size": args.size,
            "firms": sizes()[args.size],
            "batches": f"{args.first}..{args.last}",
            "machine": f"{os.cpu_count()} cores, {round(psutil.virtual_memory().total / 2**30)} GiB",
            "platform": platform.machine(),
            "overrides": args.overrides,
        }
    )
    results.setdefault("stages", {})
    for name in [s for s in STAGES if s in stages]:
        results["stages"][name] = run_stage(name, commands[name], root, args.overrides)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(results, indent=1) + "\n")
        if results["stages"][name]["exit_code"] != 0:
            print(f"acceptance: {name} failed, see {root / 'logs' / (name + '.log')}", flush=True)
            return 1
    print(f"acceptance: results in {out}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
