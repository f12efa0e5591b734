"""Load the deliveries of one batch, or of a range of batches in one pass, into the bronze tables.

    ./spark-submit.sh ingest --batch 2024-06 [--source S ...] [--strict] [--run-id ID] [--conf FILE] [KEY=VALUE ...]
    ./spark-submit.sh ingest --from 2015-01 --to 2024-12

Reads landing/<source>/<YYYY-MM>/ for every source of SOURCES.md, writes lake/bronze/<source>,
lake/bronze/rejects and lake/bronze/ingest_report, and prints the report. Exits non-zero with one
line per failed source x batch (missing delivery, bad header, undecodable file, too many rejects...).
"""

from __future__ import annotations

import sys

from signaux_spark import cli
from signaux_spark.errors import JobError
from signaux_spark.ingest import ingest
from signaux_spark.months import batch_range
from signaux_spark.session import build_session
from signaux_spark.sources import SOURCES


def main(argv: list[str] | None = None) -> int:
    p = cli.parser(__doc__)
    p.add_argument("--batch", type=cli.month, help="the batch YYYY-MM to load")
    p.add_argument("--from", dest="first", type=cli.month, help="first batch of a range (with --to)")
    p.add_argument("--to", dest="last", type=cli.month, help="last batch of a range (with --from)")
    p.add_argument("--source", action="append", choices=SOURCES, help="only this source (repeatable)")
    p.add_argument("--strict", action="store_true", default=None, help="stop at the first failed source")
    p.add_argument("--run-id", help="the run id recorded in every row and commit (default: a new one)")
    args, settings = cli.parse(p, argv)
    if bool(args.batch) == bool(args.first or args.last) or bool(args.first) != bool(args.last):
        p.error("give --batch YYYY-MM, or --from YYYY-MM and --to YYYY-MM")
    if args.batch:
        batches = [args.batch.strftime("%Y-%m")]
    else:
        batches = batch_range(args.first.strftime("%Y-%m"), args.last.strftime("%Y-%m"))
        if not batches:
            p.error("--from is after --to")
    spark = build_session("signaux_spark-ingest", settings)
    report = ingest(spark, settings, batches, sources=args.source, strict=args.strict, run_id=args.run_id)
    print(report.table(), flush=True)
    if report.failures:
        for line in report.failures:
            print(line, file=sys.stderr)
        raise JobError(
            f"ingestion of {len(batches)} batch(es): {len(report.failures)} source x batch failed (run {report.run_id})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(cli.run(main))
