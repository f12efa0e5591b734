"""Benchmark of ingestion: rows per second per source on generator output (default `region` size).

    .venv/bin/python bench/bench_ingest.py                                   # region, 2024-01..2024-12
    .venv/bin/python bench/bench_ingest.py --size tiny --from 2024-01 --to 2024-03 --out /tmp/ingest-bench-tiny
    .venv/bin/python bench/bench_ingest.py --batches 3       # only the first 3 batches of the generated window

Generates `--size` data for the batches `--from`..`--to` under `--out` (default faults), unless the
folder already holds a generation with the same size, batches and seed (then it is reused). Then
times two runs on a fresh lake: the backfill (every batch in one pass, as `jobs/backfill.py`) and
the monthly reload of the last batch (as `jobs/monthly.py`, replacing that batch). Per source:
lines read, rows written and lines per second of the backfill. Results go to
bench/results/ingest_<size>_<batches>b.json and are printed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from signaux_spark.config import load_settings  # noqa: E402
from signaux_spark.ingest import batch_range, ingest  # noqa: E402
from signaux_spark.progress import setup_logging  # noqa: E402
from signaux_spark.session import build_session  # noqa: E402
from signaux_spark.synthetic import generate, sizes  # noqa: E402

SEED = 1


def reusable(out: Path, firms: int, first: str, last: str) -> bool:
    """Whether `out` holds a finished generation of these firms, batches and seed."""
    params = out / "truth" / "params.json"
    if not params.is_file() or not (out / "landing").is_dir():
        return False
    plan = json.loads(params.read_text())["plan"]
    return (plan.get("firms"), plan.get("first_batch"), plan.get("last_batch"), plan.get("seed")) == (firms, first, last, SEED)


def memory_gib() -> float:
    with open("/proc/meminfo") as f:
        return round(int(f.readline().split()[1]) / 2**20)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", default="region", choices=sorted(sizes()))
    p.add_argument("--from", dest="first", default="2024-01")
    p.add_argument("--to", dest="last", default="2024-12")
    p.add_argument("--out", default="/tmp/ingest-bench")
    p.add_argument("--batches", type=int, help="ingest only the first N batches of the window (all by default)")
    p.add_argument("overrides", nargs="*", metavar="KEY=VALUE")
    args = p.parse_args()
    setup_logging()
    out = Path(args.out)
    firms = sizes()[args.size]
    settings = load_settings(overrides=[f"paths.root={out}", "ingest.missing_delivery=warn"] + args.overrides)
    spark = build_session("signaux_spark-bench-ingest", settings)
    generation_s = None
    if not reusable(out, firms, args.first, args.last):
        started = time.monotonic()
        generate(spark, out, size=args.size, first_batch=args.first, last_batch=args.last, seed=SEED)
        generation_s = round(time.monotonic() - started, 1)
    shutil.rmtree(settings.path("lake"), ignore_errors=True)
    batches = batch_range(args.first, args.last)[:args.batches]

    started = time.monotonic()
    backfill = ingest(spark, settings, batches, run_id="bench-backfill")
    backfill_s = time.monotonic() - started
    started = time.monotonic()
    monthly = ingest(spark, settings, [batches[-1]], run_id="bench-monthly")
    monthly_s = time.monotonic() - started

    per_source = {}
    for source in dict.fromkeys(u.source for u in backfill.units):
        units = [u for u in backfill.units if u.source == source]
        lines = sum(u.lines_read for u in units)
        seconds = units[0].elapsed_seconds
        per_source[source] = {
            "files": sum(len(u.files) for u in units), "lines_read": lines,
            "rows_written": sum(u.rows_written for u in units), "rejected": sum(u.rejected_lines for u in units),
            "seconds": seconds, "lines_per_second": round(lines / seconds) if seconds else None,
            "rows_per_second": round(sum(u.rows_written for u in units) / seconds) if seconds else None,
        }
    total_lines = sum(s["lines_read"] for s in per_source.values())
    result = {
        "size": args.size, "firms": firms, "generated_batches": f"{args.first}..{args.last}",
        "ingested_batches": f"{batches[0]}..{batches[-1]}", "n_batches": len(batches),
        "machine": f"{os.cpu_count()} cores, {memory_gib()} GiB", "platform": platform.machine(),
        "master": spark.sparkContext.master, "load_average_1m_at_end": round(os.getloadavg()[0], 1),
        "generation_seconds": generation_s,
        "backfill_seconds": round(backfill_s, 1), "backfill_lines_per_second": round(total_lines / backfill_s),
        "backfill_failures": backfill.failures,
        "monthly_seconds": round(monthly_s, 1), "monthly_batch": batches[-1], "monthly_failures": monthly.failures,
        "landing_bytes": sum(p.stat().st_size for p in (out / "landing").rglob("*") if p.is_file()),
        "sources": per_source,
    }
    results = ROOT / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    (results / f"ingest_{args.size}_{len(batches)}b.json").write_text(json.dumps(result, indent=2) + "\n")
    print(backfill.table(by_batch=False))
    print(f"\n{'source':<22}{'lines':>12}{'rows':>12}{'sec':>8}{'lines/s':>10}{'rows/s':>10}")
    for source, s in per_source.items():
        print(f"{source:<22}{s['lines_read']:>12,}{s['rows_written']:>12,}{s['seconds']:>8.1f}{s['lines_per_second'] or 0:>10,}{s['rows_per_second'] or 0:>10,}")
    print(f"backfill of {len(batches)} batches: {backfill_s:.0f} s ({total_lines / backfill_s:,.0f} lines/s); "
          f"monthly reload of {batches[-1]}: {monthly_s:.0f} s; load average {os.getloadavg()[0]:.1f}")
    spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
