"""What tests share besides fixtures: settings under a folder and a job's `main`. Import them as
`from tests.helpers import ...` (the tests are a package; pytest puts the project root on the path)."""

from __future__ import annotations

import importlib.util

from signaux_spark.config import PROJECT_ROOT, Settings, load_settings


def make_settings(root) -> Settings:
    """Settings for tests: everything under `root`, small shuffles."""
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
            "spark.databricks.delta.snapshotPartitions": "1",
        }
    )
    return settings


def job_main(name: str):
    """The `main` of jobs/<name>.py, to run a job's argument handling in the tests' session."""
    spec = importlib.util.spec_from_file_location(f"job_{name}", PROJECT_ROOT / "jobs" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main
