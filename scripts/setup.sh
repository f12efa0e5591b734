#!/usr/bin/env bash
# Idempotent set-up: a virtual env at .venv with the project installed, and the Delta jars in jars/.
# Python packages come at the versions of conf/requirements.lock (what CI passed with; `make lock`
# refreshes it from setup.py). A second run does nothing (no network) unless setup.py,
# conf/versions.env or the lock changed.
# Every failure ends with one line saying what to do, never a stack trace.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
mirror=${MAVEN_REPOSITORY:-}
# shellcheck source=../conf/versions.env
source conf/versions.env
MAVEN_REPOSITORY=${mirror:-$MAVEN_REPOSITORY}

fail() { echo "setup: $*" >&2; exit 1; }
say() { [ "${SETUP_QUIET:-0}" = 1 ] || echo "setup: $*"; }

# 1. Java 17 or newer, needed by Spark.
command -v java >/dev/null 2>&1 || fail "Java not found: install a JDK 17+ (e.g. 'apt-get install openjdk-17-jdk-headless') or put it on PATH / set JAVA_HOME."
java_major=$(java -version 2>&1 | sed -nE '1s/.*version "([0-9]+)(\.[0-9]+)*.*/\1/p')
[ -n "$java_major" ] && [ "$java_major" -ge 17 ] || fail "Java $java_major found, Spark $SPARK_VERSION needs Java 17 or newer: install a JDK 17+ and put it first on PATH."

# 2. Python 3.11+ and the virtual env.
python=${PYTHON:-python3}
command -v "$python" >/dev/null 2>&1 || fail "$python not found: install Python 3.11+ or set PYTHON=/path/to/python3.11."
"$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || fail "$("$python" -V 2>&1) is too old: install Python 3.11+ or set PYTHON=/path/to/python3.11."
if [ ! -x .venv/bin/python ]; then
  say "creating the virtual env in .venv"
  "$python" -m venv .venv || fail "could not create .venv: install the venv module (e.g. 'apt-get install python3-venv')."
fi
stamp=.venv/.signaux_spark-installed
want=$(cat setup.py conf/versions.env conf/requirements.lock | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  say "installing the project and its dependencies into .venv (a few minutes the first time)"
  log=.venv/pip-install.log
  { .venv/bin/python -m pip install --upgrade pip && .venv/bin/python -m pip install -c conf/requirements.lock -e ".[dev]"; } >"$log" 2>&1 \
    || fail "pip install failed (see $log): check the network or PIP_INDEX_URL, then run again."
  echo "$want" >"$stamp"
fi

# 3. The installed Spark and Delta must be the pinned pair.
versions=$(.venv/bin/python -c 'import pyspark, importlib.metadata as m; print(pyspark.__version__, m.version("delta-spark"))') \
  || fail "pyspark or delta-spark cannot be imported from .venv: delete .venv and run again."
[ "$versions" = "$SPARK_VERSION $DELTA_VERSION" ] \
  || fail "version mismatch: .venv has pyspark/delta-spark '$versions', conf/versions.env pins '$SPARK_VERSION $DELTA_VERSION': delete .venv and run again."

# 4. The Delta jars, fetched once from Maven Central and checked against their published SHA-1.
mkdir -p jars
fetch_jar() {
  local group=$1 artifact=$2 version=$3
  local name="$artifact-$version.jar"
  [ -s "jars/$name" ] && return 0
  local url="$MAVEN_REPOSITORY/${group//.//}/$artifact/$version/$name"
  say "downloading $name"
  curl -fsL --retry 2 -o "jars/$name.part" "$url" && curl -fsL --retry 2 -o "jars/$name.sha1" "$url.sha1" \
    || { rm -f "jars/$name.part" "jars/$name.sha1"; fail "could not download $url: check the network or set MAVEN_REPOSITORY to a mirror, or copy $name into jars/ by hand."; }
  [ "$(sha1sum "jars/$name.part" | cut -d' ' -f1)" = "$(cut -c1-40 "jars/$name.sha1")" ] \
    || { rm -f "jars/$name.part"; fail "checksum mismatch for $name downloaded from $url: run again, or check the mirror."; }
  mv "jars/$name.part" "jars/$name"
}
fetch_jar io.delta "$DELTA_SPARK_ARTIFACT" "$DELTA_VERSION"
fetch_jar io.delta delta-storage "$DELTA_VERSION"
# A lake on S3 written by several drivers: Delta's DynamoDB log store (docs/operations.md, "Cluster storage").
if [ "${SIGNAUX_S3_LAKE:-0}" = 1 ]; then fetch_jar io.delta delta-storage-s3-dynamodb "$DELTA_VERSION"; fi
say "ready: pyspark $SPARK_VERSION, delta $DELTA_VERSION, jars in jars/"
