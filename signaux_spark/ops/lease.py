"""One monthly run at a time on a lake: a lease, one row of the Delta table `ops/lease`.

A run takes the lease with a conditional Delta commit (a MERGE that writes the row only when there
is none, when it has expired, or when it is already this run's); when two runs try at once, Delta's
optimistic concurrency lets one commit win and the other reads the winner back. The holder renews
the lease (a heartbeat) while it runs and removes it at the end; a killed run's lease stays until it
expires, and only then may another run take it over. The lease lives on the lake's own storage, so
it holds wherever Delta's commits are atomic: a local disk, HDFS, or S3 with a multi-writer log store
(conf/cluster.yaml, docs/operations.md). Times are the drivers' clocks (UTC seconds).
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import threading
import time
import uuid

from delta import exceptions as delta_errors
from pyspark.sql import SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import DoubleType, StringType, StructField, StructType

from signaux_spark import tables
from signaux_spark.errors import JobError
from signaux_spark.io import Lake
from signaux_spark.progress import log

SCHEMA = StructType(
    [
        StructField("name", StringType(), False),  # what the lease guards: "monthly"
        StructField("token", StringType(), False),  # the holding run's own id
        StructField("holder", StringType(), False),  # who holds it, for people: host, pid, what it runs
        StructField("acquired_at", DoubleType(), False),  # UTC seconds since the epoch
        StructField("heartbeat_at", DoubleType(), False),
        StructField("expires_at", DoubleType(), False),
    ]
)
ATTEMPTS = 5


class LeaseRefused(JobError):
    """Another live run holds the lease."""


def _conflict(spark: SparkSession, err: Exception) -> bool:
    """True when `err` is Delta refusing a commit because another one landed first (Delta's
    conflicts are java.util.ConcurrentModificationException; the DeltaTable API raises them raw)."""
    if isinstance(
        err,
        (
            delta_errors.DeltaConcurrentModificationException,
            delta_errors.ConcurrentAppendException,
            delta_errors.ConcurrentWriteException,
            delta_errors.ProtocolChangedException,
            delta_errors.MetadataChangedException,
        ),
    ):
        return True
    java = getattr(err, "java_exception", None)
    concurrent = spark._jvm.java.lang.Class.forName("java.util.ConcurrentModificationException")
    while java is not None:
        if concurrent.isInstance(java):
            return True
        java = java.getCause()
    return False


def _utc(seconds: float) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


class Lease:
    """The lease `name` on the lake, for `seconds` after each heartbeat (sent every `heartbeat`
    seconds by a background thread). Use as a context manager: taken on entry, given back on exit."""

    clock = staticmethod(time.time)  # UTC seconds (tests move it on to see a lease expire)

    def __init__(self, spark: SparkSession, lake: Lake, name: str, what: str, seconds: float, heartbeat: float):
        self.spark, self.lake, self.name, self.seconds, self.heartbeat = spark, lake, name, seconds, heartbeat
        self.token = uuid.uuid4().hex
        self.holder = f"{what} on {socket.gethostname()} pid {os.getpid()}"
        self.lost: str | None = None
        self._stop = threading.Event()
        self._beat: threading.Thread | None = None

    def __enter__(self) -> Lease:
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()

    def acquire(self) -> None:
        """Take the lease, or raise LeaseRefused naming its live holder."""
        for _ in range(ATTEMPTS):
            try:
                self._ensure_table()
                now = self.clock()
                row = self.spark.createDataFrame(
                    [(self.name, self.token, self.holder, now, now, now + self.seconds)], SCHEMA
                )
                (
                    self.lake.table(self.spark, tables.LEASE)
                    .alias("t")
                    .merge(row.alias("s"), "t.name = s.name")
                    .whenMatchedUpdateAll(condition="t.expires_at < s.heartbeat_at OR t.token = s.token")
                    .whenNotMatchedInsertAll()
                    .execute()
                )
            except Exception as err:
                if not _conflict(self.spark, err):
                    raise
            current = self.current()
            if current is not None and current["token"] == self.token:
                self._beat = threading.Thread(target=self._beating, name=f"lease {self.name}", daemon=True)
                self._beat.start()
                log.info("lease %s taken by %s until %s", self.name, self.holder, _utc(current["expires_at"]))
                return
            if current is not None and current["expires_at"] >= self.clock():
                raise LeaseRefused(
                    f"another run holds the lease of this lake: {current['holder']} (since "
                    f"{_utc(current['acquired_at'])}, last heartbeat {_utc(current['heartbeat_at'])}); if that run "
                    f"is dead, its lease expires at {_utc(current['expires_at'])}: start again after that"
                )
        raise JobError(
            f"could not take the lease {self.name} of this lake after {ATTEMPTS} attempts "
            "(runs starting at the same time): start again"
        )

    def current(self):
        """The lease row as committed now, or None."""
        if not self.lake.exists(self.spark, tables.LEASE):
            return None
        return self.lake.read(self.spark, tables.LEASE).where(F.col("name") == self.name).first()

    def check(self) -> None:
        """Raise JobError when the lease was lost (taken over after a heartbeat failed to land in time)."""
        if self.lost:
            raise JobError(self.lost)

    def release(self) -> None:
        """Give the lease back (a failure to do so is only logged: the lease then expires by itself)."""
        self._stop.set()
        if self._beat is not None:
            self._beat.join()
        for _ in range(ATTEMPTS):
            try:
                self.lake.table(self.spark, tables.LEASE).delete(
                    (F.col("name") == self.name) & (F.col("token") == self.token)
                )
                return
            except Exception as err:
                if not _conflict(self.spark, err):
                    break
        log.warning(
            "lease %s: could not give it back; it expires at the latest %ss after the last heartbeat",
            self.name,
            self.seconds,
        )

    def renew(self) -> None:
        """One heartbeat: push the expiry on, and notice when another run has taken the lease."""
        now = self.clock()
        try:
            self.lake.table(self.spark, tables.LEASE).update(
                (F.col("name") == self.name) & (F.col("token") == self.token),
                {"heartbeat_at": F.lit(now), "expires_at": F.lit(now + self.seconds)},
            )
        except Exception as err:
            if _conflict(self.spark, err):
                return  # another run's attempt committed first; the next heartbeat lands
            raise
        current = self.current()
        if current is None or current["token"] != self.token:
            self.lost = (
                f"the lease of this lake was lost (heartbeat late past its expiry), now held by "
                f"{current['holder'] if current else 'nobody'}: stopped before the next step"
            )
            log.error("%s", self.lost)
            self._stop.set()

    def _beating(self) -> None:
        while not self._stop.wait(self.heartbeat):
            try:
                self.renew()
            except Exception as err:  # a heartbeat that fails is retried; the expiry is the safety net
                log.warning("lease %s: heartbeat failed: %s", self.name, str(err).splitlines()[0] if str(err) else err)

    def _ensure_table(self) -> None:
        if not self.lake.exists(self.spark, tables.LEASE):
            try:
                self.lake.ensure(self.spark, tables.LEASE, SCHEMA)
            except Exception:
                if not self.lake.exists(self.spark, tables.LEASE):
                    raise
                # else created by a run starting at the same time
