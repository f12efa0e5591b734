"""The raw files: their layout (SOURCES.md, one entry per file kind) and their delivery schedule
(cadence, extraction dates, late deliveries; SOURCES.md 0.1)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from signaux_spark.months import QUARTER_STARTS
from signaux_spark.sources import (
    altares_paydex,
    ap_consommation,
    ap_demande,
    dgfip_liasses,
    sirene_etablissement,
    sirene_unite_legale,
    urssaf_cotisation,
    urssaf_debit,
    urssaf_delai,
    urssaf_effectif_ent,
    urssaf_procol,
)
from signaux_spark.synthetic.calendar import ymd
from signaux_spark.synthetic.encoders import effectif_column
from signaux_spark.synthetic.plan import EFFECTIF_WINDOW, Plan
from signaux_spark.synthetic.rng import Stream

ALTARES_TRAILER = "Fin du fichier : total {n} ligne(s)"

MONTHLY, QUARTERLY, FIRST_ONLY = "monthly", "quarterly", "first_only"


@dataclass(frozen=True)
class FileSpec:
    key: str  # file kind: the source, or source:kind for Altares
    source: str
    columns: tuple[str, ...]  # header (effectif: built per batch)
    cadence: str
    line_end: str = "\n"
    quoted: bool = False  # RFC 4180 quoting of text values and header names (AP)
    lazy_quotes: bool = False
    ids: tuple[tuple[int, str], ...] = ()  # (field index, "siren" | "siret")
    date_field: tuple[int, str] | None = None  # the date that places the record in time, and its format
    period_field: int | None = None
    amount_field: int | None = None  # amount whose text a stray quote breaks (lazy sources)
    can_be_late: bool = True
    recoding: tuple[str, ...] = ()  # encodings a wrongly encoded delivery may use

    # Separator, declared encoding and extraction day: the source module's (its layout and its
    # EXTRACTION_DAY), so the generated files are what ingestion reads.
    @property
    def sep(self) -> str:
        return SOURCE_MODULES[self.source].LAYOUT.sep

    @property
    def encoding(self) -> str:
        return SOURCE_MODULES[self.source].LAYOUT.encoding

    @property
    def extraction_day(self) -> int:
        return extraction_day(self.source)

    def header(self, batch: int, plan: Plan) -> list[str]:
        if self.source == "urssaf_effectif_ent":
            months = effectif_months(batch, plan)
            return ["siren"] + effectif_column(months).to_pylist() + ["rais_soc"]
        return list(self.columns)

    def name(self, batch: int, plan: Plan) -> str:
        if self.source != "altares_paydex":
            return FILE_NAMES[self.source]
        stamp = Stream(plan.seed, "altares_stamp").integers(0, 24 * 60, batch)[0]
        day = f"{batch // 12:04d}{batch % 12 + 1:02d}{self.extraction_day:02d}"
        kind = "Retro-Paydex" if self.key.endswith("retro") else "Paydex-Mensuel"
        return f"E_{day}{stamp // 60:02d}{stamp % 60:02d}_{kind}_{day}.csv"


SOURCE_MODULES = {
    m.SOURCE: m
    for m in (
        urssaf_cotisation,
        urssaf_debit,
        urssaf_delai,
        urssaf_procol,
        urssaf_effectif_ent,
        ap_demande,
        ap_consommation,
        dgfip_liasses,
        altares_paydex,
        sirene_unite_legale,
        sirene_etablissement,
    )
}
FILE_NAMES = {name: m.FILE_NAME for name, m in SOURCE_MODULES.items() if name != altares_paydex.SOURCE}


def extraction_day(source: str) -> int:
    """The day of the month a source's batch is extracted (the source module's EXTRACTION_DAY)."""
    return SOURCE_MODULES[source].EXTRACTION_DAY


_CP1252_OR_UTF16 = ("cp1252", "utf-16")

SPECS = {
    s.key: s
    for s in [
        FileSpec(
            "urssaf_cotisation",
            "urssaf_cotisation",
            tuple(urssaf_cotisation.RAW_COLUMNS),
            MONTHLY,
            lazy_quotes=True,
            ids=((2, "siret"),),
            period_field=4,
            amount_field=7,
        ),
        FileSpec(
            "urssaf_debit",
            "urssaf_debit",
            tuple(urssaf_debit.RAW_COLUMNS),
            MONTHLY,
            ids=((3, "siren"), (4, "siret")),
            date_field=(11, "urssaf"),
            period_field=8,
            amount_field=12,
        ),
        FileSpec(
            "urssaf_effectif_ent",
            "urssaf_effectif_ent",
            (),
            QUARTERLY,
            lazy_quotes=True,
            ids=((0, "siren"),),
            recoding=_CP1252_OR_UTF16,
        ),
        FileSpec(
            "urssaf_delai",
            "urssaf_delai",
            tuple(urssaf_delai.RAW_COLUMNS),
            MONTHLY,
            ids=((2, "siret"),),
            date_field=(5, "french"),
            recoding=_CP1252_OR_UTF16,
        ),
        FileSpec(
            "urssaf_procol",
            "urssaf_procol",
            tuple(urssaf_procol.RAW_COLUMNS),
            MONTHLY,
            ids=((0, "siret"), (1, "siren")),
            date_field=(2, "procol"),
        ),
        FileSpec(
            "ap_demande",
            "ap_demande",
            tuple(ap_demande.RAW_COLUMNS),
            MONTHLY,
            line_end="\r\n",
            quoted=True,
            ids=((1, "siret"),),
            date_field=(5, "iso"),
            can_be_late=False,
        ),
        FileSpec(
            "ap_consommation",
            "ap_consommation",
            tuple(ap_consommation.RAW_COLUMNS),
            MONTHLY,
            line_end="\r\n",
            quoted=True,
            ids=((1, "siret"),),
            date_field=(5, "iso"),
        ),
        FileSpec(
            "dgfip_liasses",
            "dgfip_liasses",
            tuple(dgfip_liasses.RAW_COLUMNS),
            QUARTERLY,
            ids=((0, "siren"),),
            date_field=(5, "iso"),
        ),
        FileSpec(
            "altares_paydex:retro",
            "altares_paydex",
            tuple(altares_paydex.RETRO_COLUMNS),
            FIRST_ONLY,
            ids=((0, "siren"),),
            date_field=(10, "french"),
            can_be_late=False,
            recoding=("utf-8",),
        ),
        FileSpec(
            "altares_paydex:increment",
            "altares_paydex",
            tuple(altares_paydex.INCREMENT_COLUMNS),
            MONTHLY,
            ids=((1, "siren"), (2, "siret")),
            date_field=(30, "iso"),
            recoding=("utf-8",),
        ),
        FileSpec(
            "sirene_unite_legale",
            "sirene_unite_legale",
            tuple(sirene_unite_legale.RAW_COLUMNS),
            MONTHLY,
            ids=((0, "siren"),),
            recoding=_CP1252_OR_UTF16,
        ),
        FileSpec(
            "sirene_etablissement",
            "sirene_etablissement",
            tuple(sirene_etablissement.RAW_COLUMNS),
            MONTHLY,
            ids=((0, "siren"), (2, "siret")),
            recoding=_CP1252_OR_UTF16,
        ),
    ]
}


def effectif_months(batch: int, plan: Plan) -> np.ndarray:
    """Months covered by the headcount delivery of a batch: from the history start (first batch) or
    48 months back, up to the month before the batch."""
    start = plan.history_start if batch == plan.first_batch else batch - EFFECTIF_WINDOW
    return np.arange(start, batch)


def effectif_lag(batch: int, plan: Plan) -> int:
    """Trailing blank months of the headcount delivery landing in `batch` (uniform 0..N)."""
    top = int(plan.faults["effectif_lag_months"])
    return int(Stream(plan.seed, "effectif_lag").integers(0, top + 1, batch)[0])


class Schedule:
    """Which file lands in which batch. A monthly file is late (1 in 40 by default; never the first
    or last batch, never two months in a row): it is missing in its batch and its rows land in the
    next batch. A quarterly headcount delivery is late with its own rate and lands one batch later."""

    def __init__(self, plan: Plan):
        self.plan = plan
        self._late: dict[str, set[int]] = {}
        for spec in SPECS.values():
            key = "effectif_late_delivery" if spec.cadence == QUARTERLY else "late_delivery"
            rate = plan.faults[key] if spec.can_be_late and spec.source != "dgfip_liasses" else 0.0
            draws = Stream(plan.seed, f"late/{spec.key}").uniform(np.asarray(plan.batches))
            late = self._late[spec.key] = set()
            for b, u in zip(plan.batches, draws, strict=True):
                if (
                    u < rate
                    and self.natural(spec.key, b)
                    and plan.first_batch < b < plan.last_batch
                    and b - 1 not in late
                ):
                    late.add(b)

    def natural(self, key: str, batch: int) -> bool:
        """The cadence expects this file in this batch."""
        cadence = SPECS[key].cadence
        if cadence == FIRST_ONLY:
            return batch == self.plan.first_batch
        if cadence == QUARTERLY:
            return batch == self.plan.first_batch or batch % 12 + 1 in QUARTER_STARTS
        return True

    def late(self, key: str, batch: int) -> bool:
        return batch in self._late[key]

    def lands(self, key: str, batch: int) -> bool:
        """A file lands in this batch (its own delivery, or a late quarterly one)."""
        if SPECS[key].cadence == QUARTERLY:
            return (self.natural(key, batch) and not self.late(key, batch)) or self.late(key, batch - 1)
        return self.natural(key, batch) and not self.late(key, batch)

    def delivery_batches(self, key: str) -> list[int]:
        return [b for b in self.plan.batches if self.lands(key, b)]

    def delivered(self, key: str, natural_batches: np.ndarray) -> np.ndarray:
        """Batch where rows whose natural batch is given actually land (-1: beyond the last batch).
        Rows of a batch before the first land in the first (the initial stock)."""
        plan = self.plan
        table = np.full(plan.last_batch - plan.first_batch + 2, -1, dtype=np.int64)
        target = -1
        for b in range(plan.last_batch, plan.first_batch - 1, -1):
            if self.lands(key, b):
                target = b
            table[b - plan.first_batch] = target
        nb = np.maximum(np.asarray(natural_batches, dtype=np.int64), plan.first_batch) - plan.first_batch
        return np.where(nb <= plan.last_batch - plan.first_batch, table[np.minimum(nb, len(table) - 1)], -1)

    def missing(self, batch: int) -> list[str]:
        """File kinds expected in this batch that are late (reported as missing deliveries)."""
        return [key for key in SPECS if self.late(key, batch)]


def batch_of(dates: np.ndarray, extraction_day: int) -> np.ndarray:
    """Natural batch of events dated `dates`: the first month whose extraction (day N) is on or
    after the date (an event after the 20th lands in the next month's batch)."""
    y, m, d = ymd(dates)
    return y * 12 + m - 1 + (d > extraction_day)
