"""Write the month's list of every region and the national summary, from the month's scores.

    ./spark-submit.sh export --period 2025-06 [--conf FILE] [KEY=VALUE ...]

Writes `<paths.exports>/<YYYY-MM>/<region code>/` (workbook, CSV, JSON, HTML summary, manifest)
and `<paths.exports>/<YYYY-MM>/national/`, replacing any previous export of that month whole.
"""

from __future__ import annotations

import sys

from signaux_spark import cli
from signaux_spark.export.publish import export_period
from signaux_spark.session import build_session


def main(argv: list[str] | None = None) -> int:
    p = cli.parser(__doc__)
    p.add_argument("--period", type=cli.month, required=True, metavar="YYYY-MM", help="the month to export")
    args, settings = cli.parse(p, argv)
    spark = build_session("signaux_spark-export", settings)
    manifest = export_period(spark, settings, args.period)
    counts = manifest["counts"]
    print(
        f"export {args.period:%Y-%m}: {len(manifest['regions'])} regions, {counts['listed']:,} firms listed "
        f"({counts['risque fort']:,} risque fort, {counts['risque modéré']:,} risque modéré, "
        f"{counts['new_alerts']:,} new alerts)",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(cli.run(main))
