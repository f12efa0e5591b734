import pytest

from signaux_spark.config import DEFAULT_CONF, PROJECT_ROOT, ConfigError, load_settings


def test_default_conf_is_the_embedded_local_setup():
    settings = load_settings()
    assert settings.spark.master == "local[*]"
    assert settings.path("lake") == str(PROJECT_ROOT / "data" / "lake")
    assert settings.tracking_uri == "sqlite:///" + str(PROJECT_ROOT / "data" / "mlflow" / "mlflow.db")


def test_conf_file_and_overrides_apply_in_order(tmp_path):
    extra = tmp_path / "extra.yaml"
    extra.write_text(
        "spark:\n  master: yarn\n  shuffle_partitions: 400\n  conf:\n    spark.executor.cores: '4'\n"
        "paths:\n  root: /srv/sf\n  lake: s3a://bucket/lake\n"
    )
    settings = load_settings([str(extra)], ["spark.shuffle_partitions=12", "mlflow.experiment=trial"])
    assert settings.spark.master == "yarn"
    assert settings.spark.shuffle_partitions == 12
    assert settings.spark.conf == {"spark.executor.cores": "4"}
    assert settings.path("landing") == "/srv/sf/landing"
    assert settings.path("lake") == "s3a://bucket/lake"
    assert settings.mlflow.experiment == "trial"


def test_cluster_conf_loads():
    settings = load_settings([str(DEFAULT_CONF.parent / "cluster.yaml")])
    assert settings.spark.master == "yarn"
    assert settings.path("lake").startswith("s3a://")
    # a lake on S3 written by several drivers (and its run lease) needs Delta's multi-writer log store
    assert settings.spark.conf["spark.delta.logStore.s3a.impl"] == "io.delta.storage.S3DynamoDBLogStore"
    assert settings.spark.conf["spark.io.delta.storage.S3DynamoDBLogStore.ddb.tableName"]


@pytest.mark.parametrize(
    "override, message",
    [
        ("spark.mastr=yarn", "unknown setting 'spark.mastr'"),
        ("nope.x=1", "unknown setting 'nope'"),
        ("spark.shuffle_partitions=many", "setting 'spark.shuffle_partitions' must be int"),
        ("spark.shuffle_partitions=true", "setting 'spark.shuffle_partitions' must be int"),
        ("spark=3", "setting 'spark' must be a mapping"),
        ("spark.conf=[1, 2]", "setting 'spark.conf' must be a mapping"),
        ("no-equal-sign", "is not KEY=VALUE"),
    ],
)
def test_bad_overrides_name_the_key(override, message):
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace(".", r"\.")):
        load_settings(overrides=[override])


def test_bad_conf_files_are_clear_errors(tmp_path):
    with pytest.raises(ConfigError, match="conf file not found"):
        load_settings([str(tmp_path / "missing.yaml")])
    broken = tmp_path / "broken.yaml"
    broken.write_text("spark: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_settings([str(broken)])
    typo = tmp_path / "typo.yaml"
    typo.write_text("paths:\n  lakes: /tmp/x\n")
    with pytest.raises(ConfigError, match="unknown setting 'paths.lakes'"):
        load_settings([str(typo)])


def test_code_defaults_are_the_embedded_conf():
    """conf/local.yaml and the defaults of config.py say the same (one owner in practice: a setting
    changed in one place and not the other fails here); the feature groups live in conf only."""
    import dataclasses

    embedded, defaults = (dataclasses.asdict(s) for s in (load_settings(), load_settings(base=None)))
    embedded["features"].pop("groups"), defaults["features"].pop("groups")
    assert embedded == defaults


@pytest.mark.parametrize("prefix", ["../../../x", "a/b", "liste.v2", "", "nom avec espace", "é"])
def test_file_prefix_names_only_files(prefix):
    """A prefix is part of every export file's name: a path in it would write outside the exports."""
    with pytest.raises(ConfigError, match="export.file_prefix' may hold only letters, digits, _ and -"):
        load_settings(overrides=[f"export.file_prefix={prefix!r}"])
    assert load_settings(overrides=["export.file_prefix=SF_liste-2"]).export.file_prefix == "SF_liste-2"
