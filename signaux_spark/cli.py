"""What every job shares: `--conf FILE` and `KEY=VALUE` arguments, month arguments, logging, and
turning known errors into one clear line and an exit code instead of a stack trace."""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
from collections.abc import Callable

from signaux_spark.config import ConfigError, Settings, load_settings
from signaux_spark.progress import log, setup_logging


class JobError(RuntimeError):
    """A failure the job explains in one line (bad input, missing delivery, failed check)."""


def month(text: str) -> dt.date:
    """`YYYY-MM` -> the first day of that month (argparse type)."""
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", text or ""):
        raise argparse.ArgumentTypeError(f"'{text}' is not a month YYYY-MM")
    return dt.date(int(text[:4]), int(text[5:]), 1)


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
