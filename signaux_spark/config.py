"""Typed settings loaded from conf/ (no Spark import here).

Loading order: `conf/local.yaml` (the embedded default), then each `--conf FILE` on top, then
`KEY=VALUE` overrides with dotted keys (`spark.master=yarn`). Every key is checked against the
dataclasses below: an unknown key or a value of the wrong type is a `ConfigError` naming the key,
so a typo in a conf file fails at start-up instead of silently falling back to a default.
"""

from __future__ import annotations

import dataclasses
import os
import re
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from signaux_spark import tables
from signaux_spark.months import QUARTER_STARTS

PROJECT_ROOT = Path(os.environ.get("SIGNAUX_HOME", Path(__file__).resolve().parent.parent))
CONF_DIR = PROJECT_ROOT / "conf"
DEFAULT_CONF = CONF_DIR / "local.yaml"


class ConfigError(ValueError):
    """A conf file or override that does not match the settings schema."""


@dataclass
class SparkSettings:
    master: str = "local[*]"
    driver_memory: str = "6g"
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
    # Dates that place a record in time must not be earlier (date_out_of_range); proceedings have their own.
    history_start: str = "1990-01-01"
    procol_history_start: str = "2006-01-01"
    # Months (1-12) in which a source's delivery is expected; a source not listed is expected monthly.
    cadence: dict[str, list[int]] = field(
        default_factory=lambda: {
            "urssaf_effectif_ent": list(QUARTER_STARTS),
            "dgfip_liasses": list(QUARTER_STARTS),
        }
    )
    missing_delivery: str = "error"  # error | warn: an expected file absent from its batch
    altares_missing_trailer: str = "flag"  # flag | error: an Altares increment without its trailer line
    require_rows: list[str] = field(default_factory=lambda: ["urssaf_cotisation", "urssaf_effectif_ent"])
    # A source x batch whose rejected lines exceed this share of its data lines (and this count) fails.
    reject_threshold: float = 0.05
    reject_threshold_min_lines: int = 10
    reject_thresholds: dict[str, float] = field(default_factory=dict)  # per-source overrides
    strict: bool = False  # stop at the first failed source (jobs: --strict)
    parallel_sources: int = 4  # sources typed and written at the same time (1: one by one)
    # Files larger than this are read by the Python task itself, not through Spark's binaryFile reader.
    large_file_bytes: int = 256 * 2**20
    # A run whose records hold at most this many values (fields, wide cells) evaluates its expressions
    # without generated code: for a monthly batch, generating and compiling the parsers' code costs
    # more than it saves.
    interpreted_max_values: int = 2_000_000


@dataclass
class FeatureSettings:
    """Firm-month features (jobs/features.py). The feature list is `groups` (topic -> columns)."""

    history_months: int = 36  # months before the first month computed, for the windows
    label_horizon_months: int = 18  # failure = an opening in (periode, periode + horizon]
    label_refresh_months: int = 30  # each run recomputes the labels of this many last months
    plan_validity_years: int = 10  # a continuation plan stops counting as a proceeding after
    perimeter_min_effectif: int = 10
    perimeter_window_months: int = 36
    ap_overlap_policy: str = "max"  # overlapping short-time work requests: max | sum
    # SOURCES.md 13.1: legal categories and legal-unit NAF codes outside the perimeter.
    excluded_legal_categories: list[str] = field(
        default_factory=lambda: [
            "4110",
            "4120",
            "4140",
            "4160",
            "7210",
            "7220",
            "7346",
            "7348",
            "7366",
            "7383",
            "7389",
            "7373",
            "7379",
            "7410",
            "7430",
            "7490",
            "7470",
        ]
    )
    excluded_naf: list[str] = field(
        default_factory=lambda: [
            "84.11Z",
            "84.12Z",
            "84.13Z",
            "84.21Z",
            "84.22Z",
            "84.23Z",
            "84.24Z",
            "84.25Z",
            "84.30A",
            "84.30B",
            "84.30C",
            "85.10Z",
            "85.20Z",
            "85.31Z",
            "85.32Z",
            "85.41Z",
            "85.42Z",
            "94.11Z",
            "94.12Z",
            "94.20Z",
            "94.91Z",
            "94.92Z",
            "64.11Z",
            "64.19Z",
            "64.30Z",
            "64.91Z",
            "64.92Z",
            "64.99Z",
            "65.11Z",
            "65.12Z",
            "65.20Z",
            "65.30Z",
            "66.11Z",
            "66.12Z",
            "66.19A",
            "66.19B",
            "66.21Z",
            "66.22Z",
            "66.29Z",
            "66.30Z",
            "99.00Z",
        ]
    )
    # Topic -> feature columns of gold/features (conf/local.yaml holds the list); the model trains
    # on exactly these columns and explanations are grouped by these topics.
    groups: dict[str, list[str]] = field(default_factory=dict)
    categorical: list[str] = field(default_factory=lambda: ["naf_section", "region"])

    def feature_columns(self) -> list[str]:
        """Every feature of `groups`, once, in conf order."""
        return list(dict.fromkeys(c for columns in self.groups.values() for c in columns))


@dataclass
class SearchSpace:
    """Bounds `[low, high]` Hyperopt explores for each Spark GBT parameter; `feature_subset` lists
    choices. `min_leaf_share`: the smallest leaf as a share of the training rows (a share, not a
    count, so the same bounds suit 3,000 and 3,000,000 rows)."""

    max_depth: list[int] = field(default_factory=lambda: [2, 6])
    max_iter: list[int] = field(default_factory=lambda: [20, 100])
    step_size: list[float] = field(default_factory=lambda: [0.05, 0.3])
    subsampling_rate: list[float] = field(default_factory=lambda: [0.6, 1.0])
    min_leaf_share: list[float] = field(default_factory=lambda: [0.0001, 0.01])
    feature_subset: list[str] = field(default_factory=lambda: ["all", "onethird", "sqrt", "0.5"])
    positive_weight: list[float] = field(default_factory=lambda: [1.0, 30.0])


@dataclass
class XGBoostSpace:
    """Bounds `[low, high]` Hyperopt explores for XGBoost (`model.estimator: xgboost`). The number
    of rounds is not searched: early stopping on the validation rows chooses it. `min_leaf_share`
    as for the GBT, turned into XGBoost's `min_child_weight` (the hessian such a leaf has at the start)."""

    max_depth: list[int] = field(default_factory=lambda: [3, 10])
    learning_rate: list[float] = field(default_factory=lambda: [0.02, 0.3])
    subsample: list[float] = field(default_factory=lambda: [0.5, 1.0])
    colsample_bytree: list[float] = field(default_factory=lambda: [0.3, 1.0])
    min_leaf_share: list[float] = field(default_factory=lambda: [0.00002, 0.01])
    reg_lambda: list[float] = field(default_factory=lambda: [0.1, 10.0])
    positive_weight: list[float] = field(default_factory=lambda: [1.0, 30.0])


@dataclass
class TuningSettings:
    max_evals: int = 6
    # Stop when the best validation loss has not improved for this many trials after TPE's start-up
    # trials (a third of max_evals, drawn at random): the search always reaches TPE.
    early_stop_trials: int = 4
    trials_dir: str = ""  # local folder where interrupted tunings resume; empty: <paths.mlflow>/tuning
    # Each trial fits a fold on at most about this many rows: every positive and a sample of the
    # negatives (weighted back), so a trial costs the same at region and national size. 0: no cap.
    max_fit_rows: int = 100_000
    space: SearchSpace = field(default_factory=SearchSpace)
    xgboost_space: XGBoostSpace = field(default_factory=XGBoostSpace)

    def __post_init__(self):
        if self.max_fit_rows < 0:
            raise ConfigError(f"setting 'model.tuning.max_fit_rows' must be >= 0 (0: no cap), got {self.max_fit_rows}")


@dataclass
class XGBoostSettings:
    """`model.estimator: xgboost` (xgboost.spark.SparkXGBClassifier, barrier mode)."""

    num_workers: int = 0  # XGBoost workers (one Spark task each); 0: Spark's default parallelism
    max_rounds: int = 1000  # boosting rounds at most; early stopping on validation chooses fewer
    early_stopping_rounds: int = 50  # rounds without a better validation log loss before stopping


@dataclass
class ModelSettings:
    # What to train on: any Delta table of the lake with a key, a monthly period and a 0/1 label.
    feature_table: str = tables.FEATURES
    label_table: str = tables.LABELS  # empty: the label column is in the feature table
    key_column: str = "siren"
    period_column: str = "periode"
    label_column: str = "failure"
    perimeter_column: str = "in_perimeter"  # rows kept when true; empty: every row
    exclude_column: str = "in_proceeding_known"  # rows dropped when true; empty: none
    region_column: str = "region"  # per-region list metrics; empty: none
    strong_signal: str = "coalesce(dette_sociale, 0) > 0"  # SQL; metrics also reported without these rows
    # Feature list: empty takes features.groups and features.categorical; a list: only these; "all":
    # every number, boolean or string column of the feature table but the keys, label, perimeter
    # and exclusion columns and the label table's columns (strings are categorical).
    features: Any = field(default_factory=list)
    exclude_features: list[str] = field(default_factory=list)  # removed from the list above
    categorical: list[str] = field(default_factory=list)
    # Time split from --as-of: test ends `horizon` months before it. `gap_months` counts from the
    # last month of a block to the first month of the next one: 1 = blocks side by side (no month
    # skipped), 18 = 17 months skipped, so that no training label window (`horizon` months)
    # reaches the months of the block after it.
    horizon_months: int = 18
    gap_months: int = 18
    test_months: int = 12
    validation_months: int = 12
    # Tuning scores each trial on this many validation blocks side by side (the latest first), each
    # with a model trained on the months up to `gap_months` before it; calibration and thresholds
    # use the latest block.
    validation_blocks: int = 2
    train_months: int = 0  # 0: every month before the gap
    negative_sample_rate: float = 1.0  # share of negatives kept for training; their weight is 1/rate
    seed: int | None = None  # None: derived from the data and settings (their fingerprint)
    estimator: str = "gbt"  # gbt (Spark ML GBTClassifier) | xgboost (xgboost.spark)
    imputation: str = "median"  # median | mean | mode, with a missing flag per feature with nulls
    max_categories: int = 40  # most frequent levels one-hot encoded; the rest share all-zeros
    max_bins: int = 32
    checkpoint_interval: int = 10
    calibration: str = "platt"  # platt | isotonic, fitted on the validation months
    list_share: float = 0.02  # a region's monthly list size as a share of its scored firms
    list_size: dict[str, int] = field(default_factory=dict)  # fixed monthly list size per region code
    auto_promote: bool = False  # champion <- challenger when it wins on the same test months
    tuning: TuningSettings = field(default_factory=TuningSettings)
    xgboost: XGBoostSettings = field(default_factory=XGBoostSettings)

    def __post_init__(self):
        choices = {
            "calibration": ("platt", "isotonic"),
            "imputation": ("median", "mean", "mode"),
            "estimator": ("gbt", "xgboost"),
        }
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise ConfigError(
                    f"setting 'model.{name}' must be one of {', '.join(allowed)}, got {getattr(self, name)!r}"
                )
        if not 0 < self.negative_sample_rate <= 1:
            raise ConfigError(
                f"setting 'model.negative_sample_rate' must be in (0, 1], got {self.negative_sample_rate}"
            )
        if (
            min(self.test_months, self.validation_months, self.validation_blocks) < 1
            or min(self.horizon_months, self.train_months) < 0
        ):
            raise ConfigError(
                "settings 'model.test_months', 'model.validation_months' and 'model.validation_blocks' must "
                "be >= 1, 'model.horizon_months' and 'model.train_months' >= 0"
            )
        if self.gap_months < 1:
            raise ConfigError(
                f"setting 'model.gap_months' must be >= 1, got {self.gap_months}: it counts from the last "
                "month of a block to the first month of the next (1 = blocks side by side, no month skipped; "
                "horizon_months or more = no training label window reaches the next block)"
            )
        if not (self.features in ("all", []) or _strings(self.features)):
            raise ConfigError(
                f"setting 'model.features' must be a list of column names or 'all', got {self.features!r}"
            )


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


@dataclass
class ScoreSettings:
    """Monthly scoring (jobs/score.py): which model, which firms are explained, how."""

    model_alias: str = "champion"  # the registered version scoring uses...
    model_version: str = ""  # ...unless a version number is pinned here
    feature_table: str = tables.FEATURES
    table: str = tables.SCORES
    explain: str = "alerts"  # alerts | all: which scored firms get SHAP contributions
    top_factors: int = 3  # features raising the risk most, kept per firm
    additivity_tolerance: float = 1e-6  # |base + contributions - log-odds| allowed on every row
    partitions: int = 0  # tasks scoring and explaining a month; 0: spark.shuffle_partitions

    def __post_init__(self):
        if self.explain not in ("all", "alerts"):
            raise ConfigError(f"setting 'score.explain' must be one of all, alerts, got {self.explain!r}")
        if self.top_factors < 1:
            raise ConfigError(f"setting 'score.top_factors' must be >= 1, got {self.top_factors}")


@dataclass
class ExportSettings:
    """Monthly regional lists (jobs/export.py), under paths.exports/<YYYY-MM>/<region code>/."""

    firms_table: str = tables.FIRMS
    regions: list[str] = field(default_factory=list)  # region codes to export; empty: every region of the reference
    include_exits: bool = True  # list last month's alerts that are no longer alerted
    include_proceedings: bool = True  # list the firms in an active collective proceeding
    # DGFiP data are confidential: the values of these topics' features and the financial columns
    # are left out of every file unless include_confidential is true.
    include_confidential: bool = False
    confidential_topics: list[str] = field(default_factory=lambda: ["sante_financiere"])
    financial_columns: list[str] = field(
        default_factory=lambda: ["ebe_sur_ca", "rentabilite_economique", "liquidite_reduite", "solidite_financiere"]
    )
    file_prefix: str = "signaux_faibles"  # letters, digits, _ and - only: it is part of every file name
    # Permissions (octal) of the exported files and folders: the lists are confidential.
    file_mode: str = "0640"
    folder_mode: str = "0750"

    def __post_init__(self):
        if not re.fullmatch(r"[A-Za-z0-9_-]+", self.file_prefix):
            raise ConfigError(
                "setting 'export.file_prefix' may hold only letters, digits, _ and - "
                f"(it names the files), got {self.file_prefix!r}"
            )
        for name in ("file_mode", "folder_mode"):
            if not re.fullmatch(r"0?[0-7]{3}", getattr(self, name)):
                raise ConfigError(
                    f"setting 'export.{name}' must be octal permissions such as 0640, got {getattr(self, name)!r}"
                )

    def permissions(self) -> tuple[int, int]:
        """(file mode, folder mode) as numbers."""
        return int(self.file_mode, 8), int(self.folder_mode, 8)


@dataclass
class PortalSettings:
    """The regional portal (python -m signaux_spark.portal serve) over the published exports."""

    exports: str = ""  # folder of the published months; empty: paths.exports
    database_url: str = ""  # SQLAlchemy URL; empty: a SQLite file <paths.root>/portal/portal.db
    host: str = "127.0.0.1"
    port: int = 8000  # the environment variable PORTAL_PORT wins when set
    session_hours: float = 8.0  # a signed session cookie expires after this
    secret_file: str = ""  # key signing the cookies (made on first start); empty: <paths.root>/portal/secret.key
    secure_cookies: bool = False  # true behind HTTPS: cookies only sent over TLS
    max_failures: int = 5  # failed sign-ins (per address or per client) before the throttle...
    throttle_minutes: int = 15  # ...refuses sign-ins for this long
    feedback_table: str = tables.FEEDBACK  # Delta table the feedback command writes

    def __post_init__(self):
        if not 1 <= self.port <= 65535:
            raise ConfigError(f"setting 'portal.port' must be a TCP port, got {self.port}")
        if self.session_hours <= 0 or self.max_failures < 1 or self.throttle_minutes < 1:
            raise ConfigError(
                "settings 'portal.session_hours', 'portal.max_failures' and 'portal.throttle_minutes' must be positive"
            )


@dataclass
class MonitoringSettings:
    """The monitor step of the monthly run (signaux_spark/monitoring): thresholds of each check.
    A critical finding stops the run before export unless accepted (`monthly --accept-critical`)."""

    table: str = tables.MONITORING
    accept_critical: bool = False  # publish anyway despite critical findings (monthly --accept-critical)
    # Every flag also needs the move to exceed counting noise: this many standard deviations
    # (Poisson for volumes, binomial for rates and shares), so small sources and regions stay quiet.
    noise_z: float = 4.0
    # Deliveries: each source's figures against its previous `history_batches` loaded batches.
    history_batches: int = 12
    min_history: int = 3  # fewer earlier batches: compared, never flagged
    halved_ratio: float = 0.6  # lines / firms at or below this share of the median: critical (halved)
    mad_limit: float = 4.0  # warning beyond median +- mad_limit x 1.4826 x MAD...
    min_change: float = 0.25  # ...and at least this relative change from the median
    reject_warning_factor: float = 2.0  # reject rate above factor x its median and...
    reject_warning_excess: float = 0.005  # ...above the median by this much: warning
    reject_critical_factor: float = 5.0
    reject_critical_excess: float = 0.02
    # Features: this month against the reference profile of the model's training rows.
    feature_bins: int = 10  # quantile bins of each numeric feature in the reference
    reference_sample_rows: int = 200000  # training rows profiled at most (a seeded sample beyond)
    psi_warning: float = 0.25
    null_warning: float = 0.10  # rise of a feature's share of nulls: warning
    null_critical: float = 0.99  # share of nulls this month (lower in training): critical, the feature is gone
    top_drifting: int = 5
    # Scores: this month against the previous `score_months` scored months.
    score_months: int = 3
    score_psi_warning: float = 0.10
    share_ratio_warning: float = 2.0  # alert share: warning when it moved by this factor (up or down)
    # Outcomes of past lists: the lists of the last `outcome_months` months with observed outcomes.
    outcome_months: int = 24
    outcome_min_alerts: int = 20  # fewer alerts in a month or region: reported, never flagged
    outcome_precision_ratio: float = 0.5  # realised precision below this share of the promised: warning

    def __post_init__(self):
        fractions = 0 < self.halved_ratio < 1 and 0 < self.null_critical <= 1
        if (
            not fractions
            or self.feature_bins < 2
            or min(self.history_batches, self.score_months, self.outcome_months) < 1
        ):
            raise ConfigError(
                "settings 'monitoring.halved_ratio' must be in (0, 1), 'null_critical' in (0, 1], "
                "'feature_bins' >= 2, 'history_batches', 'score_months' and 'outcome_months' >= 1"
            )


@dataclass
class OpsSettings:
    """The monthly run (jobs/monthly.py): its lease on the lake (one run at a time, ops/lease)."""

    lease_seconds: int = 600  # a run's lease lasts this long after its last heartbeat...
    heartbeat_seconds: int = 60  # ...renewed this often while it runs

    def __post_init__(self):
        if not 0 < 2 * self.heartbeat_seconds <= self.lease_seconds:
            raise ConfigError(
                "setting 'ops.heartbeat_seconds' must be > 0 and at most half of 'ops.lease_seconds', "
                f"got {self.heartbeat_seconds} and {self.lease_seconds}"
            )


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
    portal: PortalSettings = field(default_factory=PortalSettings)
    monitoring: MonitoringSettings = field(default_factory=MonitoringSettings)
    ops: OpsSettings = field(default_factory=OpsSettings)

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


def load_settings(
    conf_files: list[str] | tuple[str, ...] = (),
    overrides: list[str] | tuple[str, ...] = (),
    base: str | Path | None = DEFAULT_CONF,
) -> Settings:
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
