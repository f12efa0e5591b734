"""Settings of the notebooks: the embedded default, another root and the small budget from the environment."""

from __future__ import annotations

from pathlib import Path

from signaux_spark.analysis.notebook import ROOT_ENV, SMALL_ENV, notebook_settings
from signaux_spark.config import PROJECT_ROOT, load_settings


def test_without_environment_the_notebooks_read_the_embedded_default():
    settings, default = notebook_settings(environ={}), load_settings()
    assert settings.path("lake") == str(PROJECT_ROOT / "data" / "lake")
    assert settings.model == default.model and settings.spark == default.spark


def test_root_from_the_environment_moves_every_path(tmp_path):
    settings = notebook_settings(environ={ROOT_ENV: str(tmp_path)})
    assert settings.path("lake") == str(tmp_path / "lake")
    assert settings.tracking_uri == "sqlite:///" + str(tmp_path / "mlflow" / "mlflow.db")
    assert settings.model.gap_months == load_settings().model.gap_months  # not small unless asked


def test_small_budget_and_explicit_overrides_win(tmp_path):
    env = {ROOT_ENV: str(tmp_path), SMALL_ENV: "1"}
    small = notebook_settings(environ=env)
    assert (small.spark.master, small.spark.shuffle_partitions) == ("local[2]", 2)
    assert small.spark.conf["spark.ui.enabled"] == "false"
    assert (small.model.gap_months, small.model.test_months, small.model.validation_months) == (6, 3, 3)
    assert small.model.tuning.max_evals == 2 and small.model.tuning.space.max_iter == [5, 10]
    mine = notebook_settings("model.tuning.max_evals=3", "spark.master=local[1]", environ=env)
    assert (mine.model.tuning.max_evals, mine.spark.master, mine.model.gap_months) == (3, "local[1]", 6)
    assert Path(mine.path("root")) == tmp_path
    assert notebook_settings(environ={SMALL_ENV: "0"}).model.gap_months == 18
