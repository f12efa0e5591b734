"""What the model learns from: the feature table joined to its labels, the rows that may be used,
and the split by time with a gap before each evaluation block.

A label at month m looks at (m, m + horizon]. Training on months <= V - gap, with gap >= horizon,
means no training label looks into the months a validation row is judged on; the same gap sits
between validation and test. `gap` counts from a block's last month to the next block's first
month: 1 puts the blocks side by side. The split depends only on `--as-of` and the settings.

Validation has `validation_blocks` blocks side by side, the latest first (fold 0). Each fold
trains on the months up to `gap` before its own block, so a trial is judged on several years and
one odd year cannot blind the search. Fold 0 is the split's `train_*`/`valid_*` months (what
calibration, thresholds and the final refit use); the others are `Split.earlier`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pyspark.errors import AnalysisException
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from signaux_spark.config import ConfigError, ModelSettings, Settings
from signaux_spark.errors import JobError
from signaux_spark.io import Lake
from signaux_spark.months import add_months

# Columns the model code adds to the rows it works on.
BLOCK = "_sf_block"  # "train", "valid", "test", or "earlier" (only in an earlier fold's validation block)
STRONG = "_sf_strong"  # the row has a strong signal (settings.model.strong_signal)
WEIGHT = "_sf_weight"  # sampling weight: 1, or 1/rate for the negatives kept by down-sampling

OTHER_TOPIC = "autre"


def _month(d: dt.date | None) -> str:
    return d.strftime("%Y-%m") if d else "all"


@dataclass(frozen=True)
class Fold:
    """One validation block and the training months before it (`train_start` None: all history)."""

    train_start: dt.date | None
    train_end: dt.date
    valid_start: dt.date
    valid_end: dt.date

    def train(self, period: Column) -> Column:
        rows = period <= F.lit(self.train_end)
        return rows & (period >= F.lit(self.train_start)) if self.train_start else rows

    def valid(self, period: Column) -> Column:
        return period.between(F.lit(self.valid_start), F.lit(self.valid_end))


SPLIT_MONTHS = ("as_of", "train_start", "train_end", "valid_start", "valid_end", "test_start", "test_end")


@dataclass(frozen=True)
class Split:
    """Month ranges (first days of months, bounds included). `train_start` None: all history.
    `train_*` and `valid_*` are fold 0; `earlier` holds the other folds, latest first."""

    as_of: dt.date
    train_start: dt.date | None
    train_end: dt.date
    valid_start: dt.date
    valid_end: dt.date
    test_start: dt.date
    test_end: dt.date
    earlier: tuple[Fold, ...] = ()

    @property
    def folds(self) -> list[Fold]:
        return [Fold(self.train_start, self.train_end, self.valid_start, self.valid_end), *self.earlier]

    def months(self) -> dict[str, dt.date | None]:
        """The months of fold 0 and test (what a registered model's metadata keeps)."""
        return {name: getattr(self, name) for name in SPLIT_MONTHS}

    def params(self) -> dict[str, str]:
        out = {f"split_{name}": _month(d) for name, d in self.months().items()}
        for k, fold in enumerate(self.earlier, start=1):
            out |= {
                f"split_fold{k}_{name}": _month(getattr(fold, name))
                for name in ("train_end", "valid_start", "valid_end")
            }
        return out

    def block(self, period: Column) -> Column:
        """The block of a row from its month; null for months in a gap or outside the split."""
        block = (
            F.when(period.between(F.lit(self.test_start), F.lit(self.test_end)), "test")
            .when(period.between(F.lit(self.valid_start), F.lit(self.valid_end)), "valid")
            .when(self.folds[0].train(period), "train")
        )
        for fold in self.earlier:
            block = block.when(fold.valid(period), "earlier")
        return block


def time_split(as_of: dt.date, model: ModelSettings) -> Split:
    """Test ends `horizon` months before `as_of` (its labels are then fully observed); validation ends
    `gap` months before test starts, training `gap` months before validation starts. Earlier
    validation blocks sit side by side before the first, each with its training `gap` months before it."""
    test_end = add_months(as_of, -model.horizon_months)
    test_start = add_months(test_end, 1 - model.test_months)
    folds = []
    valid_end = add_months(test_start, -model.gap_months)
    for _ in range(model.validation_blocks):
        valid_start = add_months(valid_end, 1 - model.validation_months)
        train_end = add_months(valid_start, -model.gap_months)
        train_start = add_months(train_end, 1 - model.train_months) if model.train_months else None
        folds.append(Fold(train_start, train_end, valid_start, valid_end))
        valid_end = add_months(valid_start, -1)
    latest = folds[0]
    return Split(
        as_of,
        latest.train_start,
        latest.train_end,
        latest.valid_start,
        latest.valid_end,
        test_start,
        test_end,
        tuple(folds[1:]),
    )


@dataclass(frozen=True)
class FeatureSpec:
    """The raw feature columns (numeric, then categorical) and the topic of each."""

    numeric: list[str]
    categorical: list[str]
    topics: dict[str, str]

    @property
    def columns(self) -> list[str]:
        return self.numeric + self.categorical


def feature_spec(
    settings: Settings, schema: T.StructType | None = None, outcomes: set[str] = frozenset()
) -> FeatureSpec:
    """`model.features` + `model.categorical` when `model.features` is a list, else the features
    stage's `features.groups` + `features.categorical`; `model.features: all` takes every number,
    boolean or string column of `schema` but the settings' key, period, label, perimeter and
    exclusion columns and the `outcomes` (strings become categorical). `model.exclude_features`
    are then removed. Topics come from `features.groups`; a column in no group gets `autre`."""
    model, groups = settings.model, settings.features.groups
    if model.features == "all":
        if schema is None:
            raise ConfigError("model.features: all needs the feature table's columns")
        reserved = {model.key_column, model.period_column, model.label_column, model.perimeter_column}
        reserved |= {model.exclude_column} | set(outcomes)
        usable = [f for f in schema.fields if f.name not in reserved]
        numeric = [f.name for f in usable if isinstance(f.dataType, (T.NumericType, T.BooleanType))]
        strings = [f.name for f in usable if isinstance(f.dataType, T.StringType)]
        categorical = list(dict.fromkeys(list(model.categorical) + strings))
        columns = [c for c in numeric if c not in categorical]
    elif model.features:
        columns, categorical = list(model.features), list(model.categorical)
    elif groups:
        columns, categorical = settings.features.feature_columns(), list(settings.features.categorical)
    else:
        raise ConfigError("no features: set features.groups (features stage) or model.features")
    excluded = set(model.exclude_features)
    columns = [c for c in dict.fromkeys(columns + categorical) if c not in excluded]
    categorical = [c for c in categorical if c not in excluded]
    if not columns:
        raise ConfigError("no features left once model.exclude_features are removed")
    topics = {c: OTHER_TOPIC for c in columns}
    for topic, cols in reversed(list(groups.items())):  # a column listed twice takes its first topic
        topics.update({c: topic for c in cols if c in topics})
    return FeatureSpec(
        numeric=[c for c in columns if c not in categorical],
        categorical=[c for c in columns if c in categorical],
        topics=topics,
    )


@dataclass
class Inputs:
    frame: DataFrame
    versions: dict[str, int]  # Delta version read, per table


def read_inputs(spark: SparkSession, settings: Settings, versions: dict[str, int] | None = None) -> Inputs:
    """The feature table with its labels joined, read at pinned Delta versions (the latest by default)."""
    model, lake = settings.model, Lake(settings)
    tables = [model.feature_table] + ([model.label_table] if model.label_table else [])
    pinned = {}
    for table in tables:
        version = (versions or {}).get(table, lake.version(spark, table))
        if version is None:
            raise JobError(f"table {table} not found under {lake.path(table)}")
        pinned[table] = version
    frame = lake.read(spark, model.feature_table, version=pinned[model.feature_table])
    if model.label_table:
        labels = lake.read(spark, model.label_table, version=pinned[model.label_table])
        keys = [model.key_column, model.period_column]
        wanted = [c for c in (model.label_column, model.exclude_column) if c and c in labels.columns]
        _require(labels, keys + [model.label_column], model.label_table)
        frame = frame.drop(*[c for c in wanted if c in frame.columns]).join(labels.select(*keys, *wanted), keys, "left")
    return Inputs(frame, pinned)


def outcome_columns(spark: SparkSession, settings: Settings) -> set[str]:
    """Columns that describe the outcome (the label and every non-key column of the label table)."""
    model = settings.model
    columns = {model.label_column}
    if model.label_table and Lake(settings).exists(spark, model.label_table):
        columns |= set(Lake(settings).read(spark, model.label_table).columns)
        columns -= {model.key_column, model.period_column}
    return columns


def check_features(spec: FeatureSpec, outcomes: set[str]) -> None:
    """An outcome used as a feature would give the answer away: refuse it."""
    leaking = sorted(set(spec.columns) & outcomes)
    if leaking:
        raise ConfigError(f"feature(s) {', '.join(leaking)} describe the outcome (label table) and cannot be features")


def modelling_rows(frame: DataFrame, *, model: ModelSettings, spec: FeatureSpec, split: Split) -> DataFrame:
    """Rows the model may learn from or be judged on: in the perimeter, not excluded (already in a
    proceeding), labelled, and in a block of the split. Keeps the columns training needs."""
    period = model.period_column
    optional = [c for c in (model.perimeter_column, model.exclude_column, model.region_column) if c]
    _require(frame, [model.key_column, period, model.label_column] + optional + spec.columns, model.feature_table)
    if not isinstance(frame.schema[period].dataType, T.DateType):
        raise JobError(
            f"period column {period} must be a DATE (first day of the month), "
            f"got {frame.schema[period].dataType.simpleString()}"
        )
    rows = frame
    if model.perimeter_column:
        rows = rows.where(F.col(model.perimeter_column) == F.lit(True))
    if model.exclude_column:
        rows = rows.where(~F.coalesce(F.col(model.exclude_column), F.lit(False)))
    strong = F.lit(False)
    if model.strong_signal:
        strong = F.coalesce(F.expr(model.strong_signal).cast("boolean"), F.lit(False))
        try:
            _ = frame.select(strong).schema  # resolving the expression raises when it does not apply
        except AnalysisException as err:
            raise JobError(
                f"model.strong_signal '{model.strong_signal}' cannot be evaluated on "
                f"{model.feature_table}: {str(err).splitlines()[0]}"
            ) from None
    rows = (
        rows.where(F.col(model.label_column).isNotNull())
        .withColumn(BLOCK, split.block(F.col(period)))
        .where(F.col(BLOCK).isNotNull())
        .withColumn(STRONG, strong)
    )
    region = [model.region_column] if model.region_column else []
    label = F.col(model.label_column).cast("double").alias(model.label_column)
    return rows.select(
        model.key_column, period, label, *region, STRONG, BLOCK, *[c for c in spec.columns if c not in region]
    )


def check_blocks(counts: dict[str, dict[str, int]], split: Split) -> None:
    """Every block needs positives and negatives, and labels must be 0 or 1."""
    bad = sum(c.get("bad_labels", 0) for c in counts.values())
    if bad:
        raise JobError(f"{bad} labelled rows have a label other than 0 or 1")
    for block in ("train", "valid", "test"):
        c = counts.get(block, {})
        if not c.get("positives") or c.get("positives") == c.get("rows"):
            months = split.params()
            raise JobError(
                f"the {block} block ({months.get(f'split_{block}_start')} to {months[f'split_{block}_end']}) "
                f"has {c.get('rows', 0)} labelled rows and {c.get('positives', 0)} positives: "
                "both classes are needed (check --as-of and the model months settings)"
            )


def fold_counts(rows: DataFrame, split: Split, *, label: str, period: str) -> list[dict[str, int]]:
    """Rows and positives of each earlier fold's training and validation months, in one pass."""
    positive = F.col(label) == 1
    aggregates = []
    for k, fold in enumerate(split.earlier):
        for part, where in (("train", fold.train(F.col(period))), ("valid", fold.valid(F.col(period)))):
            aggregates += [
                F.count(F.when(where, 1)).alias(f"{k}_{part}_rows"),
                F.count(F.when(where & positive, 1)).alias(f"{k}_{part}_positives"),
            ]
    if not aggregates:
        return []
    r = rows.where(F.col(BLOCK) != "test").agg(*aggregates).first()
    return [
        {f"{part}_{n}": r[f"{k}_{part}_{n}"] for part in ("train", "valid") for n in ("rows", "positives")}
        for k in range(len(split.earlier))
    ]


def check_folds(counts: list[dict[str, int]], split: Split) -> None:
    """Every earlier fold needs both classes in its training and validation months."""
    for k, (c, fold) in enumerate(zip(counts, split.earlier, strict=True), start=2):
        for part in ("train", "valid"):
            if not c[f"{part}_positives"] or c[f"{part}_positives"] == c[f"{part}_rows"]:
                months = f"{_month(fold.valid_start)} to {_month(fold.valid_end)}"
                raise JobError(
                    f"validation block {k} ({months}) has {c[f'{part}_rows']} labelled {part} rows and "
                    f"{c[f'{part}_positives']} positives: both classes are needed (lower model.validation_blocks, "
                    "or check --as-of and the model months settings)"
                )


def block_counts(rows: DataFrame, label: str) -> dict[str, dict[str, int]]:
    """Rows, positives and non-0/1 labels per block, in one pass."""
    stats = (
        rows.groupBy(BLOCK)
        .agg(
            F.count("*").alias("rows"),
            F.sum(F.when(F.col(label) == 1, 1).otherwise(0)).alias("positives"),
            F.sum(F.when(~F.col(label).isin(0, 1), 1).otherwise(0)).alias("bad_labels"),
        )
        .collect()
    )
    return {r[BLOCK]: {"rows": r["rows"], "positives": r["positives"], "bad_labels": r["bad_labels"]} for r in stats}


def capped_negative_rate(rows: int, positives: int, *, rate: float, max_rows: int) -> float:
    """The share of negatives to keep so that `rows` (with `positives`) sampled at `rate` leave
    about `max_rows` rows, every positive kept, and never fewer negatives than positives (a cap
    below twice the positives is exceeded); `max_rows` 0: `rate` as it is."""
    negatives = rows - positives
    if not max_rows or negatives <= 0:
        return rate
    return min(rate, max(max_rows - positives, positives) / negatives)


def sample_negatives(rows: DataFrame, *, label: str, key: str, period: str, rate: float, seed: int) -> DataFrame:
    """Keep every positive and a share `rate` of negatives, chosen by a hash of key, month and seed
    (the same rows whatever the partitioning); kept negatives weigh 1/rate so totals are unchanged."""
    if rate >= 1:
        return rows.withColumn(WEIGHT, F.lit(1.0))
    draw = F.pmod(F.xxhash64(F.col(key), F.col(period), F.lit(seed)), F.lit(1_000_000)) / F.lit(1_000_000.0)
    positive = F.col(label) == 1
    return rows.where(positive | (draw < rate)).withColumn(WEIGHT, F.when(positive, 1.0).otherwise(1.0 / rate))


def _require(frame: DataFrame, columns: list[str], table: str) -> None:
    missing = [c for c in dict.fromkeys(columns) if c not in frame.columns]
    if missing:
        raise JobError(f"table {table} has no column(s) {', '.join(missing)} (check the model settings)")
