"""One helper every job uses to announce its steps: a log line at start and end (duration, row
counts) and the Spark job description, so the Spark UI groups jobs under the step's name."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

log = logging.getLogger("signaux_spark")


def setup_logging(level: str = "INFO") -> None:
    """Plain, timestamped lines on stderr; idempotent."""
    if not log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-5s %(message)s", "%H:%M:%S"))
        log.addHandler(handler)
        log.propagate = False
    log.setLevel(level)
    logging.getLogger("py4j").setLevel(logging.WARNING)


@dataclass
class Step:
    """What a step reports back: row counts (`step.rows["accepted"] = n`) and free notes."""

    name: str
    rows: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        parts = [f"{k}={v:,}" for k, v in self.rows.items()] + self.notes
        return f"{self.name}: done in {self.seconds:.1f}s" + (f" ({', '.join(parts)})" if parts else "")


@contextmanager
def step(spark, name: str) -> Iterator[Step]:
    """Announce a step, label its Spark jobs, and log its duration and counts (or its failure)."""
    sc = spark.sparkContext if spark is not None else None
    if sc is not None:
        sc.setJobDescription(name)
    current = Step(name)
    log.info("%s: started", name)
    start = time.monotonic()
    try:
        yield current
    except BaseException as err:
        log.error(
            "%s: failed after %.1fs: %s",
            name,
            time.monotonic() - start,
            str(err).splitlines()[0] if str(err) else type(err).__name__,
        )
        raise
    finally:
        current.seconds = time.monotonic() - start
        if sc is not None:
            sc.setJobDescription(None)
    log.info("%s", current.summary())
