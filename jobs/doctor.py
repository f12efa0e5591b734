"""Platform self-check, the first thing ops run on a new machine or cluster.

    ./spark-submit.sh doctor [--conf FILE] [KEY=VALUE ...]

Prints one line per check (OK, or FAIL with the reason) and exits non-zero if any check failed
(the checks: signaux_spark/ops/doctor.py).
"""

from __future__ import annotations

import sys
import traceback

from signaux_spark import cli
from signaux_spark.ops.doctor import run_checks
from signaux_spark.session import build_session


def main(argv: list[str] | None = None) -> int:
    args, settings = cli.parse(cli.parser(__doc__), argv)
    spark = build_session("signaux_spark-doctor", settings)
    failed = 0
    for name, seen, err in run_checks(spark, settings):
        if err is None:
            print(f"OK   {name}: {seen}", flush=True)
            continue
        failed += 1
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        print(f"FAIL {name}: {reason}", flush=True)
        traceback.print_exception(err, file=sys.stderr, limit=3)
    print(f"doctor: {'all checks OK' if not failed else f'{failed} check(s) failed'}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(cli.run(main))
