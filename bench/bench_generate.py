"""Benchmark of the generator: wall time, disk size, lines and files per named size.

    .venv/bin/python bench/bench_generate.py --size region
    nohup .venv/bin/python bench/bench_generate.py --size national --out /tmp/synthetic-bench > /tmp/national.log 2>&1 &

Each size runs in its own Spark session (local[*] from conf/local.yaml unless overridden with
KEY=VALUE arguments). Results are appended to bench/results/generate.jsonl and printed as a table;
the generated data is removed afterwards unless --keep.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from signaux_spark.config import load_settings  # noqa: E402
from signaux_spark.progress import setup_logging  # noqa: E402
from signaux_spark.session import build_session  # noqa: E402
from signaux_spark.synthetic import generate, sizes  # noqa: E402


def folder_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", action="append", choices=sorted(sizes()), required=True)
    p.add_argument("--from", dest="first", default="2015-01")
    p.add_argument("--to", dest="last", default="2024-12")
    p.add_argument("--faults", default="default")
    p.add_argument("--out", default="/tmp/synthetic-bench")
    p.add_argument("--keep", action="store_true", help="keep the generated data")
    p.add_argument("overrides", nargs="*", metavar="KEY=VALUE")
    args = p.parse_args()
    setup_logging()
    out_root = Path(args.out)
    settings = load_settings(overrides=[f"paths.root={out_root / 'session'}"] + args.overrides)
    spark = build_session("signaux_spark-bench-generate", settings)
    results = []
    for size in args.size:
        out = out_root / size
        started = time.monotonic()
        summary = generate(spark, out, size=size, first_batch=args.first, last_batch=args.last, faults=args.faults)
        seconds = time.monotonic() - started
        row = {
            "size": size,
            "firms": summary["firms"],
            "establishments": summary["establishments"],
            "batches": summary["batches"],
            "files": summary["files"],
            "lines": sum(summary["lines"].values()),
            "seconds": round(seconds, 1),
            "landing_bytes": folder_bytes(out / "landing"),
            "truth_bytes": folder_bytes(out / "truth"),
            "faults_bytes": folder_bytes(out / "faults"),
            "driver_python_max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "machine": f"{os.cpu_count()} cores, {platform.machine()}",
            "master": spark.sparkContext.master,
            "lines_by_source": summary["lines"],
            "bytes_by_source": summary["bytes"],
        }
        results.append(row)
        (ROOT / "bench" / "results").mkdir(parents=True, exist_ok=True)
        with open(ROOT / "bench" / "results" / "generate.jsonl", "a") as f:
            f.write(json.dumps(row) + "\n")
        if not args.keep:
            shutil.rmtree(out, ignore_errors=True)
    print(
        f"{'size':10s} {'firms':>9s} {'estab.':>9s} {'files':>6s} {'lines':>12s} "
        f"{'time':>9s} {'landing':>10s} {'truth':>9s}"
    )
    for r in results:
        print(
            f"{r['size']:10s} {r['firms']:9,d} {r['establishments']:9,d} {r['files']:6d} {r['lines']:12,d} "
            f"{r['seconds']:8.0f}s {r['landing_bytes'] / 2**30:9.2f}G {r['truth_bytes'] / 2**30:8.2f}G"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
