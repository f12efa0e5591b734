"""Typed settings loaded from conf/ (no Spark import here).

Loading order: `conf/local.yaml` (the embedded default), then each `--conf FILE` on top, then
`KEY=VALUE` overrides with dotted keys (`spark.master=yarn`). Every key is checked against the
dataclasses below: an unknown key or a value of the wrong type is a `ConfigError` naming the key,
so a typo in a conf file fails at start-up instead of silently falling back to a default.
"""

from __future__ import annotations

import dataclasses
import os
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

PROJECT_ROOT = Path(os.environ.get("SIGNAUX_HOME", Path(__file__).resolve().parent.parent))
CONF_DIR = PROJECT_ROOT / "conf"
DEFAULT_CONF = CONF_DIR / "local.yaml"


class ConfigError(ValueError):
    """A conf file or override that does not match the settings schema."""


@dataclass
class SparkSettings:
    master: str = "local[*]"
    driver_memory: str = "4g"
    shuffle_partitions: int = 8
    log_level: str = "WARN"
    # Extra Spark properties passed as they are (`spark.sql.files.maxPartitionBytes: 64m`).
    conf: dict[str, str] = field(default_factory=dict)


@dataclass
class PathSettings:
    """Where everything lives. Relative paths are under `root`; `root` is relative to the project."""

    root: str = "data"
    landing: str = "landing"
    truth: str = "truth"
    lake: str = "lake"
    exports: str = "exports"
    mlflow: str = "mlflow"
    checkpoints: str = "checkpoints"
    reference: str = str(CONF_DIR / "reference")

    def resolve(self, name: str) -> str:
        value = getattr(self, name)
        if name == "root":
            return _absolute(value, PROJECT_ROOT)
        return _absolute(value, self.resolve("root"))


@dataclass
class MlflowSettings:
    # Empty means a sqlite database and an artifact folder under paths.mlflow.
    tracking_uri: str = ""
    artifact_location: str = ""
    experiment: str = "signaux_faibles"
    model_name: str = "signaux_faibles"


# One section per stage; each stage's owner adds its fields (with defaults) to its own class.
@dataclass
class IngestSettings:
    pass


@dataclass
class FeatureSettings:
    pass


@dataclass
class ModelSettings:
    pass


@dataclass
class ScoreSettings:
    pass


@dataclass
class ExportSettings:
    pass


@dataclass
class Settings:
    spark: SparkSettings = field(default_factory=SparkSettings)
    paths: PathSettings = field(default_factory=PathSettings)
    mlflow: MlflowSettings = field(default_factory=MlflowSettings)
    ingest: IngestSettings = field(default_factory=IngestSettings)
    features: FeatureSettings = field(default_factory=FeatureSettings)
    model: ModelSettings = field(default_factory=ModelSettings)
    score: ScoreSettings = field(default_factory=ScoreSettings)
    export: ExportSettings = field(default_factory=ExportSettings)

    def path(self, name: str) -> str:
        return self.paths.resolve(name)

    @property
    def tracking_uri(self) -> str:
        if self.mlflow.tracking_uri:
            return self.mlflow.tracking_uri
        return "sqlite:///" + str(Path(self.path("mlflow")) / "mlflow.db")

    @property
    def artifact_location(self) -> str:
        if self.mlflow.artifact_location:
            return self.mlflow.artifact_location
        return str(Path(self.path("mlflow")) / "artifacts")


def _absolute(value: str, base: str | Path) -> str:
    if "://" in value or value.startswith("file:") or os.path.isabs(value):
        return value
    return str((Path(base) / value).resolve())


def load_settings(conf_files: list[str] | tuple[str, ...] = (), overrides: list[str] | tuple[str, ...] = (),
                  base: str | Path | None = DEFAULT_CONF) -> Settings:
    """Build the settings from the default conf, extra conf files and KEY=VALUE overrides."""
    raw: dict[str, Any] = {}
    for source in ([base] if base else []) + list(conf_files):
        _merge(raw, _read_yaml(Path(source)), origin=str(source))
    for item in overrides:
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"override '{item}' is not KEY=VALUE")
        value = yaml.safe_load(text) if text.strip() else ""
        _merge(raw, _nest(key.strip().split("."), value), origin=f"override {item}")
    return _build(Settings, raw, prefix="")


def _read_yaml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ConfigError(f"conf file not found: {path}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as err:
        raise ConfigError(f"conf file {path} is not valid YAML: {err}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"conf file {path} must hold a mapping of sections")
    return data


def _nest(keys: list[str], value: Any) -> dict[str, Any]:
    for key in reversed(keys):
        value = {key: value}
    return value


def _merge(target: dict[str, Any], extra: dict[str, Any], origin: str) -> None:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value, origin)
        else:
            target[key] = value


def _build(cls: type, raw: Any, prefix: str) -> Any:
    if not isinstance(raw, dict):
        raise ConfigError(f"setting '{prefix.rstrip('.') or '<root>'}' must be a mapping, got {raw!r}")
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(raw) - names)
    if unknown:
        raise ConfigError(f"unknown setting '{prefix}{unknown[0]}' (known: {', '.join(sorted(names))})")
    values = {name: _coerce(hints[name], raw[name], prefix + name) for name in raw}
    return cls(**values)


def _coerce(kind: Any, value: Any, key: str) -> Any:
    origin = typing.get_origin(kind)
    if dataclasses.is_dataclass(kind):
        return _build(kind, value or {}, key + ".")
    if origin in (typing.Union, types.UnionType):
        options = [k for k in typing.get_args(kind) if k is not type(None)]
        return None if value is None else _coerce(options[0], value, key)
    if origin is list:
        if not isinstance(value, list):
            raise ConfigError(f"setting '{key}' must be a list, got {value!r}")
        (item,) = typing.get_args(kind)
        return [_coerce(item, v, f"{key}[{i}]") for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"setting '{key}' must be a mapping, got {value!r}")
        _, item = typing.get_args(kind)
        return {str(k): _coerce(item, v, f"{key}.{k}") for k, v in value.items()}
    if kind is Any:
        return value
    if kind is bool:
        if isinstance(value, bool):
            return value
    elif kind is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif kind is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    elif kind is str:
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return str(value)
    raise ConfigError(f"setting '{key}' must be {getattr(kind, '__name__', kind)}, got {value!r}")
