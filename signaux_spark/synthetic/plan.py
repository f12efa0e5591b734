"""What one generation run is: sizes, months, seed, fault rates and process parameters, resolved once
on the driver into a small picklable `Plan` that every executor task receives."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from signaux_spark.config import CONF_DIR
from signaux_spark.synthetic.calendar import month_number, month_str
from signaux_spark.synthetic.process import HORIZON, ProcessParams

GENERATOR_CONF = CONF_DIR / "generator"
PROCOL_HISTORY_START = "2006-01"
HISTORY_MONTHS = 36  # initial stock of the first batch (SOURCES.md 0.1)
EFFECTIF_WINDOW = 48  # months of a later headcount delivery
FIRMS_PER_PARTITION = 2500


def sizes() -> dict[str, int]:
    return {str(k): int(v) for k, v in yaml.safe_load((GENERATOR_CONF / "sizes.yaml").read_text()).items()}


def fault_profile(faults: str | Mapping) -> dict[str, float]:
    """Fault rates from a profile name (conf/generator/faults/NAME.yaml), a YAML path, or a mapping
    of overrides (its `extends` key names the base profile, `none` when absent)."""
    if isinstance(faults, Mapping):
        raw = dict(faults)
        raw.setdefault("extends", "none")
    else:
        path = Path(faults) if str(faults).endswith((".yaml", ".yml")) else GENERATOR_CONF / "faults" / f"{faults}.yaml"
        if not path.is_file():
            known = sorted(p.stem for p in (GENERATOR_CONF / "faults").glob("*.yaml"))
            raise ValueError(f"unknown fault profile '{faults}' (known: {', '.join(known)}, or a YAML path)")
        raw = yaml.safe_load(path.read_text()) or {}
    base = raw.pop("extends", None)
    rates = fault_profile(base) if base else {}
    unknown = sorted(set(raw) - set(rates)) if rates else []
    if unknown:
        raise ValueError(f"unknown fault key(s) {', '.join(unknown)} (see conf/generator/faults/default.yaml)")
    for key, value in raw.items():
        if (
            not isinstance(value, (int, float))
            or isinstance(value, bool)
            or value < 0
            or (value > 1 and key != "effectif_lag_months")
        ):
            raise ValueError(f"fault rate '{key}' must be a number in [0, 1], got {value!r}")
        rates[key] = float(value)
    return rates


@dataclass(frozen=True)
class Plan:
    firms: int
    seed: int
    first_batch: int  # month indexes (year * 12 + month - 1)
    last_batch: int
    faults: dict[str, float]
    partitions: int
    process: ProcessParams = field(default_factory=ProcessParams)

    @property
    def history_start(self) -> int:
        return self.first_batch - HISTORY_MONTHS

    @property
    def procol_start(self) -> int:
        return min(month_number(PROCOL_HISTORY_START), self.history_start)

    @property
    def sim_start(self) -> int:
        """The process runs from here (the proceedings history needs years of it)."""
        return self.procol_start

    @property
    def transitions(self) -> int:
        """Simulated transitions: months sim_start .. last_batch (states up to last_batch + 1)."""
        return self.last_batch - self.sim_start + 1

    @property
    def rate_months(self) -> int:
        """Months of transition rates: the states' months plus the oracle's horizon."""
        return self.transitions + 1 + HORIZON

    @property
    def batches(self) -> range:
        return range(self.first_batch, self.last_batch + 1)

    def describe(self) -> dict:
        return {
            "firms": self.firms,
            "seed": self.seed,
            "first_batch": month_str(self.first_batch),
            "last_batch": month_str(self.last_batch),
            "history_start": month_str(self.history_start),
            "simulation_start": month_str(self.sim_start),
            "faults": self.faults,
            "process": self.process.to_dict(),
        }


def make_plan(
    *,
    size: str = "tiny",
    firms: int | None = None,
    first_batch: str = "2015-01",
    last_batch: str = "2024-12",
    seed: int = 1,
    faults: str | Mapping = "default",
    partitions: int | None = None,
    default_parallelism: int = 2,
) -> Plan:
    if firms is None:
        known = sizes()
        if size not in known:
            raise ValueError(f"unknown size '{size}' (known: {', '.join(known)})")
        firms = known[size]
    if firms < 1:
        raise ValueError("firms must be at least 1")
    first, last = month_number(first_batch), month_number(last_batch)
    if last < first:
        raise ValueError(f"last batch {last_batch} is before the first batch {first_batch}")
    if partitions is None:
        partitions = max(default_parallelism, math.ceil(firms / FIRMS_PER_PARTITION))
    partitions = max(1, min(partitions, firms))
    return Plan(
        firms=firms,
        seed=int(seed),
        first_batch=first,
        last_batch=last,
        faults=fault_profile(faults),
        partitions=partitions,
    )
