"""Oracle check: the model against the generator's true failure probabilities, on its test months.

    ./spark-submit.sh evaluate [--truth DIR] [--alias challenger | --version N] [--conf FILE] [KEY=VALUE ...]

Logs, in the model's training run, the oracle's average precision and ROC AUC on the model's test
rows, the model's on the same rows and their ratios, and the state-only reference when the truth
has the hidden state (see signaux_spark/model/oracle.py).
"""

from __future__ import annotations

import sys

from signaux_spark import cli
from signaux_spark.model.oracle import log_oracle_metrics, oracle_metrics, summary
from signaux_spark.model.registry import CHALLENGER, load_model
from signaux_spark.session import build_session


def main(argv: list[str] | None = None) -> int:
    p = cli.parser(__doc__)
    p.add_argument("--truth", metavar="DIR", help="the generator's truth folder (default: paths.truth)")
    p.add_argument("--alias", default=CHALLENGER, help="registered model alias to check (default: challenger)")
    p.add_argument("--version", help="registered model version to check (instead of --alias)")
    args, settings = cli.parse(p, argv)
    spark = build_session("signaux_spark-evaluate", settings)
    model = load_model(settings, alias=args.alias, version=args.version)
    metrics = oracle_metrics(spark, settings, model, args.truth)
    log_oracle_metrics(model, metrics)
    print(summary(model, metrics), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(cli.run(main))
