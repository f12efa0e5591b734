#!/usr/bin/env bash
# The README's main command: the whole system on the embedded default data, from raw files to the
# regional lists, with the same jobs ops and data scientists run.
#   0. the platform self-check (Spark, Delta, MLflow)
#   1. generate the `demo` economy (4,000 firms, batches 2015-01..2024-12) under data/
#   2. backfill the history (ingest every batch, features of every month) up to 2024-11
#   3. train a model as of 2024-11 with a small tuning budget (4 trials of at most 60 trees, one
#      validation block) and make it the champion
#   4. score, monitor and export 2024-11, so the next month's lists can say what is new
#   5. the monthly run of the last batch, 2024-12: ingest -> features -> score -> monitor -> export
#   6. portal accounts: one per region of the demo and one national, passwords in a private file
# Extra arguments are passed to every job (e.g. spark.master=local[4] or model.tuning.max_evals=10).
# Starts from an empty data/ folder: outputs of a previous demo are replaced.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
first=2015-01
previous=2024-11
last=2024-12
demo_start=$SECONDS

stage() {
  local title=$1; shift
  local start=$SECONDS
  echo
  echo "=== demo: $title"
  "$@"
  echo "=== demo: $title done in $((SECONDS - start)) s"
}

scripts/setup.sh
setting() {  # a resolved setting of the demo's configuration: setting 'path("exports")' [KEY=VALUE ...]
  local expression=$1; shift
  .venv/bin/python -c "import sys; from signaux_spark.config import load_settings; print(load_settings(overrides=sys.argv[1:]).$expression)" "$@"
}
data=$(setting 'path("root")' "$@")
echo "demo: outputs go to $data (previous demo outputs there are removed)"
rm -rf "$data"

stage "platform self-check" ./spark-submit.sh doctor "$@"
stage "generate the demo data ($first..$last)" ./spark-submit.sh generate --size demo --from "$first" --to "$last" "$@"
stage "backfill the history $first..$previous" ./spark-submit.sh backfill --from "$first" --to "$previous" "$@"
stage "train as of $previous (small tuning budget: 4 trials of at most 60 trees on one validation block)" \
  ./spark-submit.sh train --as-of "$previous" --promote model.tuning.max_evals=4 model.tuning.early_stop_trials=3 \
  "model.tuning.space.max_iter=[20,60]" \
  model.validation_blocks=1 "$@"
stage "score, monitor and export $previous" ./spark-submit.sh monthly --batch "$previous" --from-step score "$@"
stage "monthly run of batch $last" ./spark-submit.sh monthly --batch "$last" "$@"

exports=$(setting 'path("exports")' "$@")
accounts="$data/portal/demo_accounts.tsv"
stage "portal accounts" .venv/bin/python -m signaux_spark.portal users demo --file "$accounts" "$@"
published=$(.venv/bin/python -c "import sys; from signaux_spark.export.published import month_folder; print(month_folder(*sys.argv[1:]) or '')" "$exports" "$last")
echo
echo "=== demo: where to look"
echo "regional lists of $last (one folder per region: workbook, CSV, JSON, HTML summary, manifest):"
echo "  $exports/$last/ (the current publication: $published/)"
echo "national summary for the central team:"
echo "  $published/national/synthese_nationale_$last.html"
echo "monitoring of the deliveries, features, scores and past lists (gold/monitoring):"
echo "  $published/national/surveillance_$last.html"
echo "HTML summaries of the regions:"
ls "$published"/*/synthese_*.html | sed 's/^/  /' | head -5
echo "  ..."
echo "MLflow runs and the registered model (open http://127.0.0.1:5000 after):"
echo "  .venv/bin/mlflow ui --backend-store-uri $(setting tracking_uri "$@")"
echo "the run record and the tables: $(setting 'path("lake")' "$@")/ (ops/runs, bronze/, silver/, gold/)"
echo
echo "=== demo: the regional portal"
echo "start it with:  make portal   (or: .venv/bin/python -m signaux_spark.portal serve; port from PORTAL_PORT)"
echo "then open http://$(setting portal.host "$@"):${PORTAL_PORT:-$(setting portal.port "$@")}/ and sign in with one of the"
echo "demo accounts (region, e-mail; their passwords are in $accounts, readable by you only):"
cut -f1,2 "$accounts" | tail -n +2 | tr '\t' ' ' | sed 's/^/  /'
echo "demo: finished in $((SECONDS - demo_start)) s"
