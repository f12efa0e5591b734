"""The monitoring section of the conf: defaults of conf/local.yaml and config.py in step, and bad
values refused with the key named."""

import dataclasses

import pytest

from signaux_spark.config import ConfigError, MonitoringSettings, load_settings


def test_conf_and_code_defaults_agree():
    assert load_settings().monitoring == MonitoringSettings()
    assert set(load_settings().monitoring.__dict__) == {f.name for f in dataclasses.fields(MonitoringSettings)}


@pytest.mark.parametrize(
    "override, named",
    [
        ("monitoring.halved_ratio=1.5", "halved_ratio"),
        ("monitoring.null_critical=0", "null_critical"),
        ("monitoring.feature_bins=1", "feature_bins"),
        ("monitoring.psi_limit=0.2", "monitoring.psi_limit"),
        ("monitoring.noise_z=high", "monitoring.noise_z"),
    ],
)
def test_bad_monitoring_settings_are_refused(override, named):
    with pytest.raises(ConfigError, match=named):
        load_settings(overrides=[override])


def test_monthly_accept_critical_is_a_setting_too():
    assert load_settings(overrides=["monitoring.accept_critical=true"]).monitoring.accept_critical is True
