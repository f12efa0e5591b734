"""Build the history in one pass: ingest every batch of a range, then the features of every month.

    ./spark-submit.sh backfill --from 2015-01 --to 2024-11 [--conf FILE] [KEY=VALUE ...]

Much faster than one monthly run per batch: each source is read and written once for the whole
range, and the windowed features of all months come from one dense calendar. Gives the same tables
as ingesting and featuring the months one by one. Training, scoring and exporting stay with
jobs/train.py and jobs/monthly.py.

A history has late deliveries: a file missing from its batch is caught up by the next one, so the
backfill reports missing deliveries as warnings (`ingest.missing_delivery: warn`) unless
`--strict-deliveries`; every other structural problem still fails the backfill.
"""

from __future__ import annotations

import sys

from signaux_spark import cli
from signaux_spark.errors import JobError
from signaux_spark.features.build import build_features
from signaux_spark.ingest import ingest
from signaux_spark.months import batch_range
from signaux_spark.session import build_session


def main(argv: list[str] | None = None) -> int:
    p = cli.parser(__doc__)
    p.add_argument("--from", dest="first", type=cli.month, required=True, metavar="YYYY-MM", help="first batch")
    p.add_argument("--to", dest="last", type=cli.month, required=True, metavar="YYYY-MM", help="last batch")
    p.add_argument("--strict-deliveries", action="store_true", help="a missing delivery fails the backfill")
    args, settings = cli.parse(p, argv)
    if not args.strict_deliveries:
        settings.ingest.missing_delivery = "warn"
    if args.first > args.last:
        raise JobError(f"--from {args.first:%Y-%m} is after --to {args.last:%Y-%m}")
    spark = build_session("signaux_spark-backfill", settings)
    report = ingest(spark, settings, batch_range(f"{args.first:%Y-%m}", f"{args.last:%Y-%m}"))
    print(report.table(), flush=True)
    if report.failures:
        for line in report.failures:
            print(line, file=sys.stderr)
        raise JobError(
            f"backfill: {len(report.failures)} source x batch failed to load (run {report.run_id}); "
            "fix the deliveries and run the backfill again"
        )
    counts = build_features(spark, settings, args.first, args.last)
    print(
        f"backfill {args.first:%Y-%m}..{args.last:%Y-%m}: {counts.get('features', 0):,} firm-months featured",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(cli.run(main))
