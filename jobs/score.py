"""Score every firm of the perimeter for a month with the registered model, and explain each score.

    ./spark-submit.sh score --period 2025-06 [--conf FILE] [KEY=VALUE ...]

Reads `score.feature_table` (gold/features) for the month and the model `score.model_alias`
(champion; or the version `score.model_version`), writes the month of `score.table` (gold/scores):
probability, alert level, rank in the region, contributions per topic and top factors. Running it
again replaces the month.
"""

from __future__ import annotations

import sys

from signaux_spark import cli
from signaux_spark.scoring.score import score_period
from signaux_spark.session import build_session


def main(argv: list[str] | None = None) -> int:
    p = cli.parser(__doc__)
    p.add_argument("--period", type=cli.month, required=True, metavar="YYYY-MM", help="the month to score")
    args, settings = cli.parse(p, argv)
    spark = build_session("signaux_spark-score", settings)
    counts = score_period(spark, settings, args.period)
    print(
        f"scores {args.period:%Y-%m}: {counts['scored']:,} firms scored, {counts['fort']:,} risque fort, "
        f"{counts['modere']:,} risque modéré, {counts['in_proceeding']:,} in a collective proceeding",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(cli.run(main))
