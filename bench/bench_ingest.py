"""Benchmark of ingestion against Spark's own CSV reader (the floor), on the same files in one run.

    # 12 region batches read from an existing landing folder (the coordinator's region set):
    .venv/bin/python bench/bench_ingest.py --landing /work/bench/region/landing --batches 12 --out /tmp/ingest-bench
    # the full 120 region batches of that landing (2015-01..2024-12):
    .venv/bin/python bench/bench_ingest.py --landing /work/bench/region/landing --from 2015-01 --to 2024-12 \
        --out /tmp/ingest-bench
    # generate the data first (under --out/landing, reused when the same generation is already there):
    .venv/bin/python bench/bench_ingest.py --size tiny --from 2024-01 --to 2024-03 --out /tmp/ingest-bench-tiny

`--landing` reads deliveries from that folder (never written); otherwise `--size` data for the batches
`--from`..`--to` are generated under `--out/landing`. The lakes go under `--out` (replaced). With
`--batches N`, only the LAST N batches of the window are ingested (the 12 most recent by default on a
landing folder given with `--landing` and no `--from`).

Three timings, in this order, on a fresh lake: the backfill (every batch in one pass, as
`jobs/backfill.py`), the monthly reload of the last batch (as the monthly ingest step, replacing that
batch), and the floor: per source, Spark's CSV reader over the same files, every column a string, the
lines written to Delta, plus a count read back (no decoding fallback, typing, validation or report).
Prints per source: lines, our seconds (the source's stage plus its share, by lines, of the shared
read and split; sources overlap, so these add up to more than the wall time), floor seconds,
our/floor; overall lines/s and our/floor on wall times; the per-stage breakdown of the backfill and
of the monthly reload. Results go to
bench/results/ingest_<size>_<batches>b.json. Skip the floor with `--no-floor`.
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
from signaux_spark.ingest import SPECS, ingest  # noqa: E402
from signaux_spark.months import batch_range  # noqa: E402
from signaux_spark.progress import setup_logging  # noqa: E402
from signaux_spark.session import build_session  # noqa: E402
from signaux_spark.sources import SOURCES  # noqa: E402
from signaux_spark.synthetic import generate, sizes  # noqa: E402

SEED = 1


def reusable(out: Path, firms: int, first: str, last: str) -> bool:
    """Whether `out` holds a finished generation of these firms, batches and seed."""
    params = out / "truth" / "params.json"
    if not params.is_file() or not (out / "landing").is_dir():
        return False
    plan = json.loads(params.read_text())["plan"]
    return (plan.get("firms"), plan.get("first_batch"), plan.get("last_batch"), plan.get("seed")) == (
        firms,
        first,
        last,
        SEED,
    )


def memory_gib() -> float:
    with open("/proc/meminfo") as f:
        return round(int(f.readline().split()[1]) / 2**20)


def landing_batches(landing: Path) -> list[str]:
    return sorted({b.name for s in landing.iterdir() if s.is_dir() for b in s.iterdir() if b.is_dir()})


def floor(spark, landing: Path, out: Path, batches: list[str]) -> dict[str, dict]:
    """Per source: Spark's CSV reader over the batches' files, all strings, to Delta, and a count back."""
    from pyspark.sql import functions as F

    result = {}
    spark.conf.set("spark.sql.legacy.javaCharsets", "true")  # the reader's short list lacks iso-8859-15
    for source in SOURCES:
        layout = SPECS[source].layout
        files = [
            str(f)
            for b in batches
            for f in sorted((landing / source / b).glob("*"))
            if f.is_file() and not f.name.startswith(".") and layout.kind_of(f.name)
        ]
        if not files:
            continue
        started = time.monotonic()
        table = str(out / "floor" / source)
        lines = (
            spark.read.option("header", "true")
            .option("sep", layout.sep)
            .option("quote", '"')
            .option("multiLine", layout.quoting == "rfc4180")
            .option("encoding", layout.encoding)
            .csv(files)
            .withColumn("batch", F.regexp_extract(F.input_file_name(), r"/(\d{4}-\d{2})/[^/]+$", 1))
        )
        lines = lines.toDF(*[f"c{i}" for i in range(len(lines.columns) - 1)], "batch")
        lines.write.format("delta").mode("overwrite").partitionBy("batch").save(table)
        count = spark.read.format("delta").load(table).count()
        result[source] = {"files": len(files), "rows": count, "seconds": round(time.monotonic() - started, 2)}
    return result


def main() -> int:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--size", default="region", choices=sorted(sizes()))
    p.add_argument("--landing", help="read deliveries from this landing folder (read only) instead of generating")
    p.add_argument("--from", dest="first")
    p.add_argument("--to", dest="last")
    p.add_argument("--out", default="/tmp/ingest-bench", help="folder of the lakes (and of generated data)")
    p.add_argument("--batches", type=int, help="ingest only the last N batches of the window")
    p.add_argument("--no-floor", action="store_true", help="skip the floor (Spark's CSV reader)")
    p.add_argument("overrides", nargs="*", metavar="KEY=VALUE")
    args = p.parse_args()
    setup_logging()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    landing = Path(args.landing) if args.landing else out / "landing"
    settings = load_settings(
        overrides=[f"paths.root={out}", f"paths.landing={landing}", "ingest.missing_delivery=warn"] + args.overrides
    )
    spark = build_session("signaux_spark-bench-ingest", settings)
    generation_s = None
    if args.landing:
        known = landing_batches(landing)
        first, last = args.first or known[0], args.last or known[-1]
        window = [b for b in batch_range(first, last) if b in known]
        batches = window[-(args.batches or (len(window) if args.first else 12)) :]
    else:
        first, last = args.first or "2024-01", args.last or "2024-12"
        if not reusable(out, sizes()[args.size], first, last):
            started = time.monotonic()
            generate(spark, out, size=args.size, first_batch=first, last_batch=last, seed=SEED)
            generation_s = round(time.monotonic() - started, 1)
        batches = batch_range(first, last)[-(args.batches or 0) :]
    for folder in ("lake", "floor"):
        shutil.rmtree(out / folder, ignore_errors=True)

    load = {"before": round(os.getloadavg()[0], 1)}
    started = time.monotonic()
    backfill = ingest(spark, settings, batches, run_id="bench-backfill")
    backfill_s = time.monotonic() - started
    load["after_backfill"] = round(os.getloadavg()[0], 1)
    started = time.monotonic()
    monthly = ingest(spark, settings, [batches[-1]], run_id="bench-monthly")
    monthly_s = time.monotonic() - started
    started = time.monotonic()
    floors = {} if args.no_floor else floor(spark, landing, out, batches)
    floor_s = time.monotonic() - started
    load["after_floor"] = round(os.getloadavg()[0], 1)

    per_source = {}
    backfill_lines = sum(u.lines_read for u in backfill.units)
    for source in dict.fromkeys(u.source for u in backfill.units):
        units = [u for u in backfill.units if u.source == source]
        lines = sum(u.lines_read for u in units)
        # The source's own stage plus its share (by lines) of the read and split of all the files.
        split_share = backfill.stage_seconds.get("read and split", 0.0) * lines / max(1, backfill_lines)
        seconds = backfill.stage_seconds.get(f"source {source}", units[0].elapsed_seconds) + split_share
        fl = floors.get(source, {})
        per_source[source] = {
            "files": sum(len(u.files) for u in units),
            "lines_read": lines,
            "rows_written": sum(u.rows_written for u in units),
            "rejected": sum(u.rejected_lines for u in units),
            "seconds": round(seconds, 2),
            "floor_seconds": fl.get("seconds"),
            "floor_rows": fl.get("rows"),
            "ratio_to_floor": round(seconds / fl["seconds"], 2) if fl.get("seconds") else None,
        }
    total_lines = sum(s["lines_read"] for s in per_source.values())
    result = {
        "landing": str(landing),
        "size": None if args.landing else args.size,
        "ingested_batches": f"{batches[0]}..{batches[-1]}",
        "n_batches": len(batches),
        "machine": f"{os.cpu_count()} cores, {memory_gib()} GiB",
        "platform": platform.machine(),
        "master": spark.sparkContext.master,
        "load_average_1m": load,
        "generation_seconds": generation_s,
        "lines_read": total_lines,
        "backfill_seconds": round(backfill_s, 1),
        "backfill_lines_per_second": round(total_lines / backfill_s),
        "backfill_failures": backfill.failures,
        "backfill_stages": backfill.stage_seconds,
        "floor_seconds": round(floor_s, 1) if floors else None,
        "ratio_to_floor": round(backfill_s / floor_s, 2) if floors else None,
        "monthly_seconds": round(monthly_s, 1),
        "monthly_batch": batches[-1],
        "monthly_failures": monthly.failures,
        "monthly_stages": monthly.stage_seconds,
        "sources": per_source,
    }
    results = ROOT / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    name = f"ingest_{'landing' if args.landing else args.size}_{len(batches)}b.json"
    (results / name).write_text(json.dumps(result, indent=2) + "\n")
    print(backfill.table(by_batch=False))
    print(f"\n{'source':<22}{'lines':>12}{'rows':>12}{'ours s':>9}{'floor s':>9}{'ours/floor':>11}")
    for source, s in per_source.items():
        ratio = f"{s['ratio_to_floor']:.2f}" if s["ratio_to_floor"] else "-"
        print(
            f"{source:<22}{s['lines_read']:>12,}{s['rows_written']:>12,}{s['seconds']:>9.1f}"
            f"{s['floor_seconds'] or 0:>9.1f}{ratio:>11}"
        )
    for label, stages in (("backfill", backfill.stage_seconds), ("monthly", monthly.stage_seconds)):
        print(f"\n{label} stages (wall seconds, summed over overlapping sources):")
        for stage, seconds in stages.items():
            print(f"  {stage:<40}{seconds:>8.1f}")
    overall = f"; floor {floor_s:.0f} s, ours/floor {backfill_s / floor_s:.2f}" if floors else ""
    print(
        f"\nbackfill of {len(batches)} batches ({batches[0]}..{batches[-1]}), {total_lines:,} lines: "
        f"{backfill_s:.0f} s, "
        f"{total_lines / backfill_s:,.0f} lines/s{overall}"
    )
    print(f"monthly reload of {batches[-1]}: {monthly_s:.1f} s; load average {load}")
    spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
