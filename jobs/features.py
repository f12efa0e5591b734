"""Firm-month features, perimeter and labels from the bronze tables.

    ./spark-submit.sh features --period YYYY-MM [--conf FILE] [KEY=VALUE ...]
    ./spark-submit.sh features --from YYYY-MM --to YYYY-MM

Writes silver/firms (as known at the last month), and for each month of the range silver/firm_months,
gold/features (partitioned by periode) and gold/labels (plus the labels of the last
features.label_refresh_months months, which new proceedings can still settle). A range is computed
in one pass, its windows from a grid built from bronze; `--period` computes the month alone, its
windows from the silver months already stored (the monthly run; when some are missing, it builds
the window from bronze and warns). Both give the same rows.
"""

from __future__ import annotations

import sys

from signaux_spark import cli
from signaux_spark.errors import JobError
from signaux_spark.features.build import build_features, build_month
from signaux_spark.session import build_session


def main(argv: list[str] | None = None) -> int:
    p = cli.parser(__doc__)
    p.add_argument("--period", type=cli.month, help="the month to compute, YYYY-MM")
    p.add_argument("--from", dest="first", type=cli.month, help="first month of a range, YYYY-MM")
    p.add_argument("--to", dest="last", type=cli.month, help="last month of a range, YYYY-MM")
    args, settings = cli.parse(p, argv)
    if args.period and (args.first or args.last):
        raise JobError("give either --period or --from/--to, not both")
    if not args.period and not (args.first and args.last):
        raise JobError("give --period YYYY-MM, or --from YYYY-MM and --to YYYY-MM")
    spark = build_session("signaux_spark-features", settings)
    if args.period:
        build_month(spark, settings, args.period)
    else:
        build_features(spark, settings, args.first, args.last)
    return 0


if __name__ == "__main__":
    sys.exit(cli.run(main))
