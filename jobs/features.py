"""Firm-month features, perimeter and labels from the bronze tables.

    ./spark-submit.sh features --period YYYY-MM [--conf FILE] [KEY=VALUE ...]
    ./spark-submit.sh features --from YYYY-MM --to YYYY-MM

Writes silver/firms (as known at the last month), and for each month of the range silver/firm_months,
gold/features (partitioned by periode) and gold/labels (plus the labels of the last
features.label_refresh_months months, which new proceedings can still settle). The range is computed
in one pass; each month gives the same rows as computing it alone.
"""

from __future__ import annotations

import sys

from signaux_spark import cli
from signaux_spark.features.build import build_features
from signaux_spark.session import build_session


def main(argv: list[str] | None = None) -> int:
    p = cli.parser(__doc__)
    p.add_argument("--period", type=cli.month, help="the month to compute, YYYY-MM")
    p.add_argument("--from", dest="first", type=cli.month, help="first month of a range, YYYY-MM")
    p.add_argument("--to", dest="last", type=cli.month, help="last month of a range, YYYY-MM")
    args, settings = cli.parse(p, argv)
    if args.period and (args.first or args.last):
        raise cli.JobError("give either --period or --from/--to, not both")
    if args.period:
        first = last = args.period
    elif args.first and args.last:
        first, last = args.first, args.last
    else:
        raise cli.JobError("give --period YYYY-MM, or --from YYYY-MM and --to YYYY-MM")
    spark = build_session("signaux_spark-features", settings)
    build_features(spark, settings, first, last)
    return 0


if __name__ == "__main__":
    sys.exit(cli.run(main))
