"""Prints what spark-submit.sh needs from the settings, one per line: master, driver memory, and
the comma-separated conf files to ship with --files. Usage: python -m signaux_spark.submit ARGS..."""

from __future__ import annotations

import argparse
import sys

from signaux_spark.config import DEFAULT_CONF, ConfigError, load_settings


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--conf", action="append", default=[])
    known, rest = p.parse_known_args(argv)
    overrides = [a for a in rest if "=" in a and not a.startswith("-")]
    try:
        settings = load_settings(known.conf, overrides)
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(settings.spark.master)
    print(settings.spark.driver_memory)
    print(",".join([str(DEFAULT_CONF)] + known.conf))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
