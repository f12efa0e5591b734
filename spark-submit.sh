#!/usr/bin/env bash
# Submit one of the project's jobs to Spark: ./spark-submit.sh [-v] JOB [ARGS...]
#   JOB   a file jobs/JOB.py (doctor, generate, ingest, features, train, score, export, monthly, ...)
#   -v    print the exact spark-submit command before running it
# The master comes from $SPARK_MASTER, else from the conf (spark.master, default local[*]).
# The package goes as a zip (--py-files), the Delta jars with --jars, the conf files with --files,
# and Spark defaults from conf/spark-defaults.conf. Python on the executors is $PYSPARK_PYTHON
# (default: this project's .venv interpreter; on a real cluster ship a venv archive, see docs/).
set -euo pipefail
root=$(cd "$(dirname "$0")" && pwd)
verbose=0
if [ "${1:-}" = "-v" ]; then verbose=1; shift; fi
job=${1:-}
if [ -z "$job" ] || [ ! -f "$root/jobs/$job.py" ]; then
  echo "usage: ./spark-submit.sh [-v] JOB [ARGS...]; JOB is one of: $(cd "$root/jobs" && ls ./*.py | sed 's|./||; s|\.py$||' | grep -v '^_' | tr '\n' ' ')" >&2
  exit 2
fi
shift
SETUP_QUIET=1 "$root/scripts/setup.sh"
python="$root/.venv/bin/python"
spark_home=$("$python" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))')

# Settings the submit needs (master, driver memory, conf files named by --conf).
mapfile -t submit < <("$python" -m signaux_spark.submit "$@") || exit 2
master=${SPARK_MASTER:-${submit[0]}}
driver_memory=${submit[1]}
files=${submit[2]}

# The package as a zip, rebuilt each time (it is small).
mkdir -p "$root/dist"
"$python" - "$root" <<'PY'
import pathlib, sys, zipfile
root = pathlib.Path(sys.argv[1])
with zipfile.ZipFile(root / "dist" / "signaux_spark.zip", "w", zipfile.ZIP_DEFLATED) as z:
    for f in sorted((root / "signaux_spark").rglob("*.py")):
        z.write(f, f.relative_to(root))
PY
source "$root/conf/versions.env"
jars="$root/jars/$DELTA_SPARK_ARTIFACT-$DELTA_VERSION.jar,$root/jars/delta-storage-$DELTA_VERSION.jar"
# Delta's multi-writer log store for a lake on S3 (conf/cluster.yaml), when it was put in jars/
dynamodb="$root/jars/delta-storage-s3-dynamodb-$DELTA_VERSION.jar"
if [ -f "$dynamodb" ]; then jars="$jars,$dynamodb"; fi
executor_python=${PYSPARK_PYTHON:-$python}

cmd=("$spark_home/bin/spark-submit"
  --master "$master"
  --name "signaux_spark-$job"
  --properties-file "$root/conf/spark-defaults.conf"
  --driver-memory "$driver_memory"
  --driver-java-options "-Dlog4j2.configurationFile=file:$root/conf/log4j2.properties"
  --jars "$jars"
  --py-files "$root/dist/signaux_spark.zip"
  --files "$files"
  --conf "spark.pyspark.python=$executor_python"
  --conf "spark.pyspark.driver.python=$python"
  "$root/jobs/$job.py" "$@")
if [ "$verbose" = 1 ]; then printf '%q ' "${cmd[@]}"; echo; fi
export PYSPARK_PYTHON=$executor_python PYSPARK_DRIVER_PYTHON=$python SIGNAUX_HOME=$root
exec "${cmd[@]}"
