"""From the bronze tables to silver/firms, silver/firm_months, gold/features and gold/labels.

`firm_months`, `gold_features` and `firms_table` are transforms (a single month's `gold_features`
computes its windowed rows once, as a local checkpoint); `build_features` reads the
lake, computes the months [first, last] in one pass (with the history the windows need before
`first`) and writes each table in one commit, replacing exactly those months. `build_month` (the
monthly run) computes one month's silver rows from bronze and reads the months its windows need
from the silver already stored: a month's silver row is what was known at that month, so it is
computed once. Both leave the carried states (features/states.py) at their last month.
"""

from __future__ import annotations

import datetime as dt

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from signaux_spark import reference, tables
from signaux_spark.config import FeatureSettings, Settings
from signaux_spark.errors import JobError
from signaux_spark.features import (
    activite_partielle,
    altares,
    cotisation,
    debits,
    delais,
    dgfip,
    effectif,
    firms,
    procol,
)
from signaux_spark.features.calendar import KEY, MONTH
from signaux_spark.features.context import CONTEXT_COLUMNS, NEEDS, with_context
from signaux_spark.features.perimeter import with_perimeter
from signaux_spark.features.states import Carried, states_at
from signaux_spark.features.windows import UnknownFeature, longest_window, windows_at, with_windows
from signaux_spark.io import Lake
from signaux_spark.months import add_months, month_range, months_count, parse_month
from signaux_spark.progress import log, step
from signaux_spark.sources import SOURCES, urssaf_procol

FIRMS_COLUMNS = [
    "siren",
    "siret_siege",
    "raison_sociale",
    "naf",
    "naf_section",
    "libelle_section",
    "categorie_juridique",
    "date_creation",
    "departement",
    "libelle_departement",
    "region",
    "libelle_region",
    "commune",
    "code_commune",
    "code_postal",
    "code_pays_etranger",
    "date_debut_activite",
    "date_fin_activite",
    "est_active",
    "date_cessation",
    "siege_francais",
    "siege_incoherent",
]
REGISTRY_COLUMNS = [
    "categorie_juridique",
    "naf",
    "naf_section",
    "departement",
    "region",
    "siret_siege",
    "siege_francais",
    "siege_actif",
    "siege_incoherent",
    "age_entreprise",
]
KEY_COLUMNS = [
    KEY,
    MONTH,
    "region",
    "departement",
    "naf_section",
    "in_perimeter",
    "perimeter_exclusion",
    "in_proceeding",
    "proceeding_state",
    "effectif",
    "dette_sociale",
]
ETP_HOURS = 151.67  # legal monthly hours of a full-time job


def registry_months(
    bronze: dict[str, DataFrame], departements: DataFrame, sections: DataFrame, *, start: dt.date, end: dt.date
) -> DataFrame:
    """Every SIRENE unit's registry facts known at each month of start..end (alive or not)."""
    return firms.with_places(
        firms.registry(bronze["sirene_unite_legale"], bronze["sirene_etablissement"], start=start, end=end),
        departements,
        sections,
    )


def firms_table(registry: DataFrame, *, end: dt.date) -> DataFrame:
    """silver/firms: one row per SIREN, the registry as known at `end`."""
    return registry.where(F.col(MONTH) == F.lit(end)).select(*FIRMS_COLUMNS)


def firm_months(
    bronze: dict[str, DataFrame],
    registry: DataFrame,
    *,
    start: dt.date,
    end: dt.date,
    settings: FeatureSettings,
    states: dict[str, DataFrame] | None = None,
) -> DataFrame:
    """silver/firm_months: one row per alive firm and month of start..end, each signal as known
    at that month (SOURCES.md business rules per source). With `states` (one month: start == end),
    the carried signals come from their states at that month instead of bronze."""
    by_name = signals(bronze, start=start, end=end, settings=settings)
    if states is not None:
        by_name.update(signals_at(states, end, settings))
    grid = (
        registry.where(F.col("alive"))
        .select(KEY, MONTH, *REGISTRY_COLUMNS)
        .join(combined(list(by_name.values())), [KEY, MONTH], "left")
    )
    # cotisation_negative flags a known negative month: no known month is no flag, wherever the grid starts.
    zero_when_absent = {
        "cotisation_negative": 0,
        "dette_ouvriere": 0.0,
        "dette_patronale": 0.0,
        "delai_en_cours": 0,
        "delai_montant": 0.0,
        "delai_jours_restants": 0,
        "ap_heures_autorisees": 0.0,
        "mois_effectif_seuil": 0,
        "in_proceeding": False,
        "proceeding_state": procol.IN_BONIS,
    }
    grid = grid.fillna(zero_when_absent)
    grid = grid.withColumn(
        "ap_heures_consommees",
        F.when(F.col("ap_attendue"), F.lit(None).cast("double")).otherwise(
            F.coalesce(F.col("ap_heures_consommees"), F.lit(0.0))
        ),
    ).drop("ap_attendue")
    debt = F.col("dette_ouvriere") + F.col("dette_patronale")
    return grid.select(
        "*",
        debt.alias("dette_sociale"),
        *[F.try_divide(debt, F.col(f"cotisation_mean{k}m")).alias(f"dette_sur_cotisation_{k}m") for k in (3, 6, 12)],
        F.try_divide(debt, F.col("effectif").cast("double")).alias("dette_par_effectif"),
        F.try_divide(F.col("ap_heures_autorisees") / ETP_HOURS, F.col("effectif").cast("double")).alias(
            "ap_part_etp_autorises"
        ),
    )


def signals(
    bronze: dict[str, DataFrame], *, start: dt.date, end: dt.date, settings: FeatureSettings
) -> dict[str, DataFrame]:
    """Each monthly signal (siren, periode, its columns) as known at each month of start..end, by name."""
    span = {"start": start, "end": end}
    return {
        "cotisation": cotisation.monthly_cotisation(bronze["urssaf_cotisation"], **span),
        "debits": debits.monthly_debts(bronze["urssaf_debit"], **span),
        "delais": delais.monthly_plans(bronze["urssaf_delai"], **span),
        "effectif": effectif.last_known_headcount(bronze["urssaf_effectif_ent"], **span),
        "effectif_seuil": effectif.months_at_threshold(
            bronze["urssaf_effectif_ent"],
            threshold=settings.perimeter_min_effectif,
            window_months=settings.perimeter_window_months,
            **span,
        ),
        "ap_autorise": activite_partielle.authorised_hours(
            bronze["ap_demande"], policy=settings.ap_overlap_policy, **span
        ),
        "ap_consomme": activite_partielle.consumed_hours(bronze["ap_consommation"], bronze["ap_demande"], **span),
        "altares": altares.monthly_paydex(bronze["altares_paydex"], **span),
        "dgfip": dgfip.monthly_statements(bronze["dgfip_liasses"], **span),
        "procol": procol.states(
            procol.firm_events(bronze["urssaf_procol"]), plan_years=settings.plan_validity_years, **span
        ),
    }


def carried(settings: FeatureSettings) -> list[Carried]:
    """The states a monthly run carries from month to month (features/states.py): the signals
    whose bronze grows the most with the history."""
    return [
        cotisation.LINES,
        debits.STEPS,
        effectif.LATEST_CELL,
        effectif.window_cells(settings.perimeter_window_months),
        altares.LATEST_VALUE,
    ]


def signals_at(states: dict[str, DataFrame], period: dt.date, settings: FeatureSettings) -> dict[str, DataFrame]:
    """The carried signals at `period` from their states, by the names of `signals`."""
    return {
        "cotisation": cotisation.cotisation_at(states[cotisation.LINES.name], period),
        "debits": debits.debts_at(states[debits.STEPS.name], period),
        "effectif": effectif.headcount_at(states[effectif.LATEST_CELL.name], period),
        "effectif_seuil": effectif.months_at_threshold_at(
            states[effectif.WINDOW_CELLS],
            period,
            threshold=settings.perimeter_min_effectif,
            window_months=settings.perimeter_window_months,
        ),
        "altares": altares.paydex_at(states[altares.LATEST_VALUE.name], period),
    }


def combined(signals: list[DataFrame]) -> DataFrame:
    """One row per (siren, periode) with the columns of every signal: a union and one aggregation
    (each column comes from one signal only), cheaper than joining the signals one by one."""
    types = {f.name: f.dataType for df in signals for f in df.schema.fields if f.name not in (KEY, MONTH)}
    padded = [
        df.select(
            KEY, MONTH, *[(F.col(c) if c in df.columns else F.lit(None).cast(t)).alias(c) for c, t in types.items()]
        )
        for df in signals
    ]
    union = padded[0]
    for df in padded[1:]:
        union = union.unionByName(df)
    return union.groupBy(KEY, MONTH).agg(*[F.max(c).alias(c) for c in types])


def gold_features(months: DataFrame, *, first: dt.date, last: dt.date, settings: FeatureSettings) -> DataFrame:
    """gold/features for first..last from the firm-month grid (which starts early enough for the
    windows): keys, perimeter, proceeding state, the export columns and the conf's features. A
    single month takes its windows from one aggregation per firm, computed here (a local
    checkpoint), a range from window frames (lazy)."""
    wanted = settings.feature_columns()
    if not wanted:
        raise JobError("features.groups is empty: the feature list is declared in conf (features.groups)")
    base = [c for c in wanted if c not in CONTEXT_COLUMNS]
    names = base + [n for n in NEEDS if n not in base]
    try:
        if first == last:
            # A month's rows are few: kept, so that the context's two shares (with_context) read
            # them instead of aggregating the whole stored window again, each.
            windowed = windows_at(months, names, first).localCheckpoint()
        else:
            windowed = with_windows(months, names).where(F.col(MONTH).between(F.lit(first), F.lit(last)))
    except UnknownFeature as err:
        raise JobError(str(err)) from None
    scoped = windowed.transform(
        with_perimeter, excluded_legal_categories=settings.excluded_legal_categories, excluded_naf=settings.excluded_naf
    ).transform(with_context)
    return scoped.select(*KEY_COLUMNS, *[c for c in wanted if c not in KEY_COLUMNS])


def history_needed(settings: FeatureSettings) -> int:
    """Months before `first` that the windows read (at least the conf's history_months)."""
    return max(settings.history_months, longest_window(settings.feature_columns() + NEEDS))


def read_bronze(spark: SparkSession, lake: Lake, *, last: dt.date) -> dict[str, DataFrame]:
    """Every bronze table, restricted to the batches delivered by `last`."""
    missing = [s for s in SOURCES if not lake.exists(spark, tables.bronze(s))]
    if missing:
        raise JobError(f"bronze tables missing: {', '.join(missing)} (run the ingestion first)")
    batch = f"{last:%Y-%m}"
    return {s: lake.read(spark, tables.bronze(s)).where(F.col("batch") <= batch) for s in SOURCES}


def _months(first: dt.date, last: dt.date) -> str:
    return f"{MONTH} >= '{first:%Y-%m-%d}' AND {MONTH} <= '{last:%Y-%m-%d}'"


def observed_until(delivered_batches: DataFrame, extraction_day: int) -> dt.date | None:
    """Extraction date of the latest proceedings batch (`batch` column): labels are known up to
    that day. A delivery without any event counts: quiet months are observed months too."""
    latest = delivered_batches.agg(F.max("batch")).first()[0]
    if latest is None:
        return None
    return parse_month(latest).replace(day=extraction_day)


def procol_deliveries(spark: SparkSession, lake: Lake) -> DataFrame:
    """Batches of proceedings delivered: those holding events, and those the ingestion report shows
    loaded (a header-only file is a delivery that says "nothing new")."""
    batches = lake.read(spark, tables.bronze("urssaf_procol")).select("batch")
    if lake.exists(spark, tables.INGEST_REPORT):
        report = lake.read(spark, tables.INGEST_REPORT)
        batches = batches.unionByName(
            report.where((F.col("source") == "urssaf_procol") & (F.col("status") == "loaded")).select("batch")
        )
    return batches


def build_features(spark: SparkSession, settings: Settings, first: dt.date, last: dt.date) -> dict[str, int]:
    """Compute and write the months first..last of silver/firm_months, gold/features and gold/labels
    (labels of the last `label_refresh_months` months too), silver/firms as known at `last`, and
    the carried states at `last` (the next monthly run folds its batch into them). The silver grid
    is built from bronze for first..last and the window months before `first`."""
    if first > last:
        raise JobError(f"--from {first:%Y-%m} is after --to {last:%Y-%m}")
    return _build(spark, settings, first, last, stored_window=False)


def build_month(spark: SparkSession, settings: Settings, period: dt.date) -> dict[str, int]:
    """The monthly run: the month `period` alone. Its silver rows come from bronze as known at
    `period`; its windows read the silver months stored before it (a month's silver row never
    changes once the month is past). When some of those months are not stored (a lake featured
    from a later month on), the window is built from bronze as for a range, with a warning."""
    lake = Lake(settings)
    missing = missing_silver_months(spark, lake, period, history_needed(settings.features))
    if missing:
        log.warning(
            "features %s: %d month(s) of the window are not in %s (%s..%s): building the "
            "window from bronze (run `features --from .. --to ..` over them to make later months incremental)",
            f"{period:%Y-%m}",
            len(missing),
            tables.FIRM_MONTHS,
            f"{missing[0]:%Y-%m}",
            f"{missing[-1]:%Y-%m}",
        )
    return _build(spark, settings, period, period, stored_window=not missing)


def missing_silver_months(spark: SparkSession, lake: Lake, period: dt.date, history: int) -> list[dt.date]:
    """The months of the window before `period` that hold firms (from the registry's first batch on)
    and are not in silver/firm_months."""
    if not lake.exists(spark, tables.bronze("sirene_unite_legale")):
        return []  # the build says which bronze tables are missing
    first_batch = (
        lake.read(spark, tables.bronze("sirene_unite_legale"))
        .where(F.col("batch") <= f"{period:%Y-%m}")
        .agg(F.min("batch"))
        .first()[0]
    )
    if first_batch is None:
        return []
    start = max(add_months(period, -history), parse_month(first_batch))
    wanted = set(month_range(start, add_months(period, -1)))
    stored = set()
    if lake.exists(spark, tables.FIRM_MONTHS):
        stored = {
            r[0]
            for r in lake.read(spark, tables.FIRM_MONTHS)
            .where(_months(start, add_months(period, -1)))
            .select(MONTH)
            .distinct()
            .collect()
        }
    return sorted(wanted - stored)


def _build(
    spark: SparkSession, settings: Settings, first: dt.date, last: dt.date, *, stored_window: bool
) -> dict[str, int]:
    conf = settings.features
    lake = Lake(settings)
    counts: dict[str, int] = {}
    with step(spark, f"features {first:%Y-%m}..{last:%Y-%m}: read bronze") as s:
        bronze = read_bronze(spark, lake, last=last)
        departements, sections = reference.frames(spark, settings)
        versions = {name: lake.version(spark, tables.bronze(name)) for name in SOURCES}
    metadata = {"first": f"{first:%Y-%m}", "last": f"{last:%Y-%m}", "bronze_versions": versions}
    window_start = add_months(first, -history_needed(conf))
    start = first if stored_window else window_start
    counts["silver_months_built"] = months_count(start, last)
    with step(spark, f"features: registry ({tables.FIRMS})") as s:
        registry = registry_months(bronze, departements, sections, start=start, end=last).persist(
            StorageLevel.MEMORY_AND_DISK
        )
        firms_now = firms_table(registry, end=last)
        lake.write(firms_now, tables.FIRMS, mode="overwrite", metadata=metadata)
        counts["firms"] = s.rows["firms"] = firms_now.count()
    # A range leaves the states at its last month too, so the monthly run after a backfill folds
    # its batch into them instead of reading every batch again.
    with step(spark, f"features: the carried states ({tables.STATES})") as s:
        states = states_at(spark, lake, bronze, carried(conf), last)
        s.notes.append(f"{', '.join(states)} at {last:%Y-%m}")
    with step(spark, f"features: {tables.FIRM_MONTHS}") as s:
        months = firm_months(
            bronze, registry, start=start, end=last, settings=conf, states=states if stored_window else None
        ).persist(StorageLevel.MEMORY_AND_DISK)
        s.rows["grid rows"] = months.count()
        registry.unpersist()
        in_range = months.where(F.col(MONTH).between(F.lit(first), F.lit(last)))
        lake.write(
            in_range.repartition(MONTH),
            tables.FIRM_MONTHS,
            replace_where=_months(first, last),
            partition_by=[MONTH],
            metadata=metadata,
        )
        counts["firm_months"] = s.rows["rows"] = in_range.count()
    with step(spark, f"features: {tables.FEATURES}") as s:
        grid = months
        if stored_window:
            stored = lake.read(spark, tables.FIRM_MONTHS).where(_months(window_start, add_months(first, -1)))
            grid = stored.unionByName(months)
            s.notes.append(f"windows from the stored silver months {window_start:%Y-%m}..{add_months(first, -1):%Y-%m}")
        features = gold_features(grid, first=first, last=last, settings=conf)
        _check_schema(spark, lake, features)
        lake.write(
            features.repartition(MONTH),
            tables.FEATURES,
            replace_where=_months(first, last),
            partition_by=[MONTH],
            metadata=metadata,
        )
        months.unpersist()
        counts["features"] = s.rows["rows"] = counts["firm_months"]
    with step(spark, f"features: {tables.LABELS}") as s:
        label_first = min(first, add_months(last, -conf.label_refresh_months))
        every_event = lake.read(spark, tables.bronze("urssaf_procol"))
        until = observed_until(procol_deliveries(spark, lake), urssaf_procol.EXTRACTION_DAY)
        rows = lake.read(spark, tables.FEATURES).where(_months(label_first, last)).select(KEY, MONTH)
        labels = procol.labels(
            rows,
            procol.firm_events(every_event),
            start=label_first,
            end=last,
            observed_until=until or dt.date.min,
            horizon_months=conf.label_horizon_months,
            plan_years=conf.plan_validity_years,
        )
        lake.write(
            labels.repartition(MONTH),
            tables.LABELS,
            replace_where=_months(label_first, last),
            partition_by=[MONTH],
            metadata={**metadata, "observed_until": str(until)},
        )
        s.notes.append(f"months {label_first:%Y-%m}..{last:%Y-%m}, observed until {until}")
    log.info("features %s..%s written: %s", f"{first:%Y-%m}", f"{last:%Y-%m}", counts)
    return counts


def _check_schema(spark: SparkSession, lake: Lake, features: DataFrame) -> None:
    if not lake.exists(spark, tables.FEATURES):
        return
    current = lake.read(spark, tables.FEATURES).columns
    if current != features.columns:
        raise JobError(
            f"the feature list of conf differs from the columns of {tables.FEATURES}: recompute the whole "
            f"history into a new lake path (or remove {tables.FEATURES}) after changing features.groups"
        )
