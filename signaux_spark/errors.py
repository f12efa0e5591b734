"""Errors shared by the library and the jobs. A job turns them into one line and an exit code
(`cli.run`); the library raises them without knowing it runs under a job."""

from __future__ import annotations


class JobError(RuntimeError):
    """A failure the job explains in one line (bad input, missing delivery, failed check)."""


class MonthError(ValueError):
    """A month that is not written `YYYY-MM` (a job argument, a batch, a folder, a setting)."""
