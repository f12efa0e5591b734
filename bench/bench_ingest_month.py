"""The monthly ingest as the monthly run pays it: one batch in a fresh Spark JVM, ours against the
floor (Spark's CSV reader writing the same files' lines as strings to Delta), in alternate rounds.

    # the demo's last batch, into a copy of the demo lake (after `make demo`):
    .venv/bin/python bench/bench_ingest_month.py --root data --batch 2024-12 --rounds 2
    # the same with generated code (a run this small evaluates its expressions without it):
    .venv/bin/python bench/bench_ingest_month.py --root data --batch 2024-12 ingest.interpreted_max_values=0

Each round starts two child processes one after the other: `ours` copies `--root`'s lake to
`--out` (before its clock starts) and ingests the batch into it, as the monthly run's ingest step
does; `floor` runs `bench_ingest.floor` over the same files. Each child reports the start of its
Spark session and the work after it; the parent prints both per round, the medians, ours/floor
and the load average, and writes bench/results/ingest_month_<batch>.json. The lake of `--root` is
never written.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from a checkout
sys.path.insert(0, str(ROOT / "bench"))

from bench_ingest import floor, memory_gib  # noqa: E402

from signaux_spark.config import load_settings  # noqa: E402
from signaux_spark.ingest import ingest  # noqa: E402
from signaux_spark.session import build_session  # noqa: E402


def child(kind: str, root: Path, out: Path, batch: str, overrides: list[str]) -> dict:
    """One measurement in this (fresh) process: session start, then the batch's ingest or floor."""
    shutil.rmtree(out, ignore_errors=True)
    if kind == "ours" and (root / "lake").is_dir():
        shutil.copytree(root / "lake", out / "lake")  # paths.lake under paths.root
    settings = load_settings(
        overrides=[f"paths.root={out}", f"paths.landing={root / 'landing'}", "ingest.missing_delivery=warn", *overrides]
    )
    started = time.monotonic()
    spark = build_session(f"signaux_spark-bench-ingest-month-{kind}", settings)
    session_s = time.monotonic() - started
    started = time.monotonic()
    if kind == "ours":
        report = ingest(spark, settings, [batch], run_id="bench-month")
        lines = sum(u.lines_read for u in report.units)
    else:
        lines = sum(s["rows"] for s in floor(spark, root / "landing", out, [batch]).values())
    seconds = time.monotonic() - started
    spark.stop()
    return {"session_seconds": round(session_s, 1), "seconds": round(seconds, 1), "lines": lines}


def main() -> int:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--root", default="data", help="a data root with landing/ (and lake/, copied for ours)")
    p.add_argument("--batch", required=True, help="the batch YYYY-MM to ingest")
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--out", default="/tmp/ingest-month-bench", help="scratch folder (replaced)")
    p.add_argument("--child", choices=["ours", "floor"], help=argparse.SUPPRESS)
    p.add_argument("overrides", nargs="*", metavar="KEY=VALUE", help="settings of both children")
    args = p.parse_args()
    root, out = Path(args.root).resolve(), Path(args.out)
    if not (root / "landing").is_dir():
        p.error(f"{root}/landing does not exist (run `make demo`, or give --root)")
    if not any((source / args.batch).is_dir() for source in (root / "landing").iterdir()):
        p.error(f"no delivery of {args.batch} under {root}/landing")
    if args.child:
        print(json.dumps(child(args.child, root, out, args.batch, args.overrides)))
        return 0

    runs: dict[str, list[dict]] = {"ours": [], "floor": []}
    load = [round(os.getloadavg()[0], 1)]
    for r in range(args.rounds):
        for kind in runs:
            command = [sys.executable, __file__, "--root", str(root), "--batch", args.batch, "--out", str(out)]
            done = subprocess.run([*command, "--child", kind, *args.overrides], capture_output=True, text=True)
            if done.returncode != 0:
                sys.stderr.write(done.stderr[-4000:])
                return done.returncode
            runs[kind].append(json.loads(done.stdout.strip().splitlines()[-1]))
            print(f"round {r + 1} {kind:<5}: {runs[kind][-1]}", flush=True)
        load.append(round(os.getloadavg()[0], 1))
    median = {kind: statistics.median(x["seconds"] for x in rs) for kind, rs in runs.items()}
    result = {
        "root": str(root),
        "batch": args.batch,
        "overrides": args.overrides,
        "machine": f"{os.cpu_count()} cores, {memory_gib()} GiB",
        "load_average_1m": load,
        "runs": runs,
        "median_seconds": median,
        "ratio_to_floor": round(median["ours"] / median["floor"], 2),
    }
    results = ROOT / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    (results / f"ingest_month_{args.batch}.json").write_text(json.dumps(result, indent=2) + "\n")
    print(
        f"ingest of {args.batch} in a fresh JVM ({runs['ours'][0]['lines']:,} lines): ours {median['ours']:.1f} s, "
        f"floor {median['floor']:.1f} s, ours/floor {result['ratio_to_floor']:.2f} (medians of {args.rounds}, after "
        f"a session start of about {runs['ours'][0]['session_seconds']:.0f} s each); load average {load}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
