"""Train the failure model on the data known at a month, evaluate it out of time, register it.

    ./spark-submit.sh train --as-of 2024-12 [--promote] [--conf FILE] [KEY=VALUE ...]

Reads `model.feature_table` (and `model.label_table`) from the lake, tunes a GBT on the validation
months, refits on train + validation, evaluates once on the test months, and registers the model in
MLflow as `mlflow.model_name` with the alias `challenger`. `--promote` also makes it the `champion`
(the model scoring uses); with `model.auto_promote: true` that happens when it beats the champion
on the same test months. Month ranges: see `model.*_months` in conf/local.yaml.
"""

from __future__ import annotations

import sys

from signaux_spark import cli
from signaux_spark.model.training import train
from signaux_spark.session import build_session


def main(argv: list[str] | None = None) -> int:
    p = cli.parser(__doc__)
    p.add_argument(
        "--as-of",
        type=cli.month,
        required=True,
        metavar="YYYY-MM",
        help="the latest month whose data is known; test ends model.horizon_months before it",
    )
    p.add_argument("--promote", action="store_true", help="make the new version the champion")
    args, settings = cli.parse(p, argv)
    spark = build_session("signaux_spark-train", settings)
    result = train(spark, settings, args.as_of, promote=args.promote)
    print(
        f"model {settings.mlflow.model_name} version {result.version}: test AP {result.test['ap']:.4f}, "
        f"ROC AUC {result.test['roc_auc']:.4f}, thresholds fort {result.thresholds.fort:.4f} / "
        f"modéré {result.thresholds.modere:.4f}{' (champion)' if result.promoted else ''}",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(cli.run(main))
