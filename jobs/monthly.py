"""The monthly run ops submit once the month's files have landed: ingest -> features -> (train) ->
score -> monitor -> export for one batch, recorded step by step in lake/ops/runs.

    ./spark-submit.sh monthly --batch 2024-12 [--train] [--from-step STEP | --only STEP] [--force]
                              [--accept-critical]

A critical monitoring check stops the run before export (docs/operations.md, "Monitoring");
--accept-critical publishes anyway, the findings shown in the national summary.

A failed or killed run resumes at its first unfinished step with the same run id when started
again; a finished batch is a no-op unless --force. Exits non-zero with one line naming the failed
step and why.
"""

from __future__ import annotations

import sys

from signaux_spark import cli
from signaux_spark.export.published import month_folder
from signaux_spark.ops.monthly import STEPS, run_monthly
from signaux_spark.ops.steps import STEP_FUNCTIONS
from signaux_spark.session import build_session


def main(argv: list[str] | None = None) -> int:
    p = cli.parser(__doc__)
    p.add_argument("--batch", type=cli.month, required=True, metavar="YYYY-MM", help="the batch (month) to run")
    p.add_argument("--train", action="store_true", help="also train a model as of the batch (before scoring)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--from-step", choices=STEPS, help="run from this step on (the steps before are not run)")
    where.add_argument("--only", choices=STEPS, help="run only this step")
    p.add_argument("--force", action="store_true", help="run a batch again even when its last run finished")
    p.add_argument(
        "--accept-critical",
        action="store_true",
        help="export even when a monitoring check is critical (same as monitoring.accept_critical=true)",
    )
    args, settings = cli.parse(p, argv)
    settings.monitoring.accept_critical |= args.accept_critical
    batch = f"{args.batch:%Y-%m}"
    spark = build_session("signaux_spark-monthly", settings)
    outcome = run_monthly(
        spark,
        settings,
        batch,
        STEP_FUNCTIONS,
        train=args.train,
        from_step=args.from_step,
        only=args.only,
        force=args.force,
    )
    if outcome.skipped:
        print(f"monthly {batch}: already done by run {outcome.run_id} (use --force to run it again)", flush=True)
    else:
        published = month_folder(settings.path("exports"), batch)  # None on a cluster's storage
        print(
            f"monthly {batch}: run {outcome.run_id} done ({' -> '.join(outcome.ran)}); lists under "
            f"{settings.path('exports')}/{batch}/" + (f" (publication {published.name})" if published else ""),
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(cli.run(main))
