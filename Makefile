# The README's commands: `make demo` (the main job on the embedded default data), `make portal`
# (the regional portal over the exports) and `make test` (everything CI runs). Each runs the
# idempotent set-up first; `make test` also installs the Debian packages its tests need.
PYTEST_ARGS ?=

.PHONY: setup demo portal test test-fast lint format lock clean

setup:
	@scripts/setup.sh

demo: setup
	@scripts/demo.sh

portal: setup
	@.venv/bin/python -m signaux_spark.portal serve

test: setup
	@scripts/setup-system.sh
	@.venv/bin/python -m pytest $(PYTEST_ARGS)

# Everything but the tests marked `slow` (pipeline stages on generated data, end-to-end, cluster, set-up).
test-fast: setup
	@scripts/setup-system.sh
	@.venv/bin/python -m pytest -m "not slow" $(PYTEST_ARGS)

# The lint and format gate CI runs before the tests (configuration in ruff.toml).
lint: setup
	@.venv/bin/ruff check . && .venv/bin/ruff format --check .

format: setup
	@.venv/bin/ruff check --fix . && .venv/bin/ruff format .

# Refresh the lock of the Python packages from setup.py (the set-up installs what it pins).
lock: setup
	@.venv/bin/uv pip compile setup.py --extra dev --python-version 3.11 --python-platform x86_64-manylinux_2_28 \
		--quiet -o conf/requirements.lock

clean:
	rm -rf data dist spark-warehouse metastore_db derby.log
