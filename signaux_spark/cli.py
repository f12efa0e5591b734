"""What every job shares: `--conf FILE` and `KEY=VALUE` arguments, month arguments, logging, and
turning known errors into one clear line and an exit code instead of a stack trace."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Callable

from signaux_spark import months
from signaux_spark.config import ConfigError, Settings, load_settings
from signaux_spark.errors import JobError, MonthError
from signaux_spark.progress import log, setup_logging


def month(text: str) -> dt.date:
    """`YYYY-MM` -> the first day of that month (argparse type)."""
    try:
        return months.parse_month(text)
    except MonthError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument(
        "--conf",
        action="append",
        default=[],
        metavar="FILE",
        help="extra conf file merged over conf/local.yaml (repeatable)",
    )
    p.add_argument(
        "overrides",
        nargs="*",
        metavar="KEY=VALUE",
        help="setting overrides with dotted keys, e.g. spark.master=local[2]",
    )
    return p


def parse(p: argparse.ArgumentParser, argv: list[str] | None) -> tuple[argparse.Namespace, Settings]:
    args = p.parse_intermixed_args(argv)
    return args, load_settings(args.conf, args.overrides)


def run(main: Callable[[list[str] | None], int | None], argv: list[str] | None = None) -> int:
    """Run a job's main; known errors end in one line on stderr and a non-zero exit code."""
    from signaux_spark.session import RuntimeSetupError

    setup_logging()
    try:
        return int(main(argv) or 0)
    except (ConfigError, RuntimeSetupError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except JobError as err:
        log.error("%s", err)
        print(f"error: {err}", file=sys.stderr)
        return 1
