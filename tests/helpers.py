"""What tests share besides fixtures: settings under a folder and a job's `main`. Import them as
`from tests.helpers import ...` (the tests are a package; pytest puts the project root on the path)."""

from __future__ import annotations

import importlib.util

from signaux_spark.config import PROJECT_ROOT, Settings, load_settings
from signaux_spark.session import INTERPRETED_CONF


def make_settings(root) -> Settings:
    """Settings for tests: everything under `root`, small shuffles, expressions evaluated without
    generated code. On test-sized data, generating and compiling classes is most of a query's time
    (the features build check: 137 s instead of 162 s); results are the same. Where the code path
    matters, a test turns generated code on (`generated_code` in tests/conftest.py), and ingestion
    picks its own (tests/ingest/test_ingest_samples.py runs every rule both ways)."""
    settings = load_settings(
        overrides=[
            f"paths.root={root}",
            "spark.master=local[2]",
            "spark.shuffle_partitions=2",
            "spark.driver_memory=3g",
        ]
    )
    settings.spark.conf.update(
        {
            "spark.ui.enabled": "false",
            "spark.sql.adaptive.coalescePartitions.initialPartitionNum": "2",
            "spark.default.parallelism": "2",
            **INTERPRETED_CONF,
        }
    )
    return settings


def job_main(name: str):
    """The `main` of jobs/<name>.py, to run a job's argument handling in the tests' session."""
    spec = importlib.util.spec_from_file_location(f"job_{name}", PROJECT_ROOT / "jobs" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main
