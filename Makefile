# The README's two commands: `make demo` (the main job on the embedded default data) and
# `make test` (everything CI runs). Both run the idempotent set-up first.
PYTEST_ARGS ?=

.PHONY: setup demo test clean

setup:
	@scripts/setup.sh

demo: setup
	@scripts/demo.sh

test: setup
	@.venv/bin/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf data dist spark-warehouse metastore_db derby.log
