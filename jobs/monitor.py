"""Monitor one month: deliveries, feature drift, score drift and the outcomes of past lists, into
`monitoring.table` (gold/monitoring). The `monitor` step of the monthly run, on its own.

    ./spark-submit.sh monitor --batch 2024-12 [--accept-critical] [--conf FILE] [KEY=VALUE ...]

Needs the month ingested, featured and scored. Prints the counts and every finding that is not ok;
exits non-zero with one line when a check is critical (unless --accept-critical). Running it again
replaces the month's findings.
"""

from __future__ import annotations

import sys

from signaux_spark import cli
from signaux_spark.monitoring.run import monitor_period, verdict
from signaux_spark.session import build_session


def main(argv: list[str] | None = None) -> int:
    p = cli.parser(__doc__)
    p.add_argument("--batch", type=cli.month, required=True, metavar="YYYY-MM", help="the month to monitor")
    p.add_argument("--accept-critical", action="store_true", help="exit 0 even when a check is critical")
    args, settings = cli.parse(p, argv)
    spark = build_session("signaux_spark-monitor", settings)
    result = monitor_period(spark, settings, args.batch)
    print(result.table(), flush=True)
    verdict(result, settings.monitoring.accept_critical or args.accept_critical)
    return 0


if __name__ == "__main__":
    sys.exit(cli.run(main))
