"""Scaling of the features stage: the same builds at two sizes, each time ratio printed against
the size ratio (near-linear: a time ratio close to the size ratio).

    .venv/bin/python bench/bench_scaling.py --firms 10000 30000 --from 2019-01 --to 2024-12
    .venv/bin/python bench/bench_scaling.py --lakes /work/bench/region/lake /work/bench/national/lake \
        --firms 35000 350000 --root /work/bench/features-scaling

At each size: the whole history --from..--to in one pass, then the monthly run of the last month.
With `--lakes` the bronze tables of each lake are read in place (never written; `--firms` gives the
two sizes, for the ratio); without, `--firms` firms are synthesised as bench/bench_features.py does.
Silver and gold go under `--root`/<size>. One Spark session; the smaller size runs first. Results
in bench/results/scaling_<small>_<large>.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import sys
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_features import StepTimes, link_bronze, synthesise, timed  # noqa: E402

from signaux_spark import (
    cli,  # noqa: E402
    tables,  # noqa: E402
)
from signaux_spark.config import load_settings  # noqa: E402
from signaux_spark.features.build import build_features, build_month  # noqa: E402
from signaux_spark.io import Lake  # noqa: E402
from signaux_spark.months import add_months  # noqa: E402
from signaux_spark.progress import log, setup_logging  # noqa: E402
from signaux_spark.session import build_session  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--firms", type=int, nargs=2, required=True, metavar=("SMALL", "LARGE"))
    p.add_argument(
        "--lakes", nargs=2, metavar=("SMALL", "LARGE"), help="lakes with bronze tables (default: synthesise)"
    )
    p.add_argument("--from", dest="first", type=cli.month, default=dt.date(2019, 1, 1))
    p.add_argument("--to", dest="last", type=cli.month, default=dt.date(2024, 12, 1))
    p.add_argument("--root", default="/tmp/features-scaling")
    p.add_argument("overrides", nargs="*")
    args = p.parse_args()
    if args.firms[0] >= args.firms[1]:
        raise SystemExit("--firms: give the smaller size first")
    setup_logging()
    steps = StepTimes()
    log.addHandler(steps)
    spark = None
    runs = []
    for k, firms in enumerate(args.firms):
        root = Path(args.root) / str(firms)
        if args.lakes:
            link_bronze(Path(args.lakes[k]), root)
        settings = load_settings(overrides=[f"paths.root={root}", f"paths.lake={root / 'lake'}"] + args.overrides)
        spark = spark or build_session("bench-scaling", settings)
        lake = Lake(settings)
        if not args.lakes:
            shutil.rmtree(root, ignore_errors=True)
            synthesise(spark, lake, firms, args.first, args.last)
        for table in (tables.FIRM_MONTHS, tables.FEATURES, tables.LABELS, tables.FIRMS):
            shutil.rmtree(lake.path(table), ignore_errors=True)
        first = args.first if args.lakes else add_months(args.first, 12)  # synthesised: first year feeds windows
        runs.append(
            {
                "firms": firms,
                "history": timed(spark, steps, partial(build_features, spark, settings, first, args.last)),
                "month": timed(spark, steps, partial(build_month, spark, settings, args.last)),
            }
        )
    small, large = runs
    report = {
        "machine": f"{os.cpu_count()} cores",
        "spark": spark.sparkContext.master,
        "months": f"{args.first:%Y-%m}..{args.last:%Y-%m}",
        "runs": runs,
        "size_ratio": round(large["firms"] / small["firms"], 2),
        "history_time_ratio": round(large["history"]["s"] / small["history"]["s"], 2),
        "month_time_ratio": round(large["month"]["s"] / small["month"]["s"], 2),
    }
    print(json.dumps(report, indent=2, default=str))
    print(
        f"size x{report['size_ratio']}: whole history x{report['history_time_ratio']} "
        f"({small['history']['s']} s -> {large['history']['s']} s), one month x{report['month_time_ratio']} "
        f"({small['month']['s']} s -> {large['month']['s']} s); load {os.getloadavg()}"
    )
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / f"scaling_{small['firms']}_{large['firms']}.json").write_text(json.dumps(report, indent=2, default=str))


if __name__ == "__main__":
    main()
