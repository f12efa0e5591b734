"""Shared fixtures: one local[2] Spark session for the whole run, and settings whose paths point
under a per-test temporary folder (helpers that are not fixtures: tests/helpers.py)."""

from __future__ import annotations

import pytest

from signaux_spark.config import Settings
from signaux_spark.session import GENERATED_CODE_CONF, build_session, temporary_conf
from tests.helpers import make_settings


@pytest.fixture(scope="session")
def spark(tmp_path_factory):
    session = build_session("signaux_spark-tests", make_settings(tmp_path_factory.mktemp("session")))
    yield session
    session.stop()


@pytest.fixture
def settings(tmp_path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
def generated_code(spark):
    """The session evaluates expressions with generated code for the test (the tests' session does
    not, tests/helpers.py), as large runs do; the session's settings are put back after."""
    with temporary_conf(spark, GENERATED_CODE_CONF):
        yield
