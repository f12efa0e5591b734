# The README's two commands: `make demo` (the main job on the embedded default data) and
# `make test` (everything CI runs). Both run the idempotent set-up first.
PYTEST_ARGS ?=

.PHONY: setup demo test test-fast lint format lock clean

setup:
	@scripts/setup.sh

demo: setup
	@scripts/demo.sh

test: setup
	@.venv/bin/python -m pytest $(PYTEST_ARGS)

# Everything but the end-to-end, cluster and set-up tests (marked `slow`).
test-fast: setup
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
