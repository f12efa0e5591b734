#!/usr/bin/env bash
# The README's main command. Until the monthly pipeline lands it runs the platform self-check.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
echo "demo: the monthly pipeline is not built yet; running the platform self-check (doctor)."
exec "$root/spark-submit.sh" doctor "$@"
