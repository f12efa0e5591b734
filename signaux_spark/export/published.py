"""Where a month's published export is, for every reader (notebooks, portal, scripts).

A publication is a folder `<exports>/.publications/<YYYY-MM>/<token>/` (one folder per region and
`national/`), never modified once published. `<exports>/<YYYY-MM>` is a relative symbolic link to
the month's current publication, replaced in one atomic step by the export: a reader that goes
through this module sees a whole publication or none, never a half-written folder. A plain folder
at `<exports>/<YYYY-MM>` (an export written before publications were versioned) is read as it is.
On storage without links (HDFS, object stores: `export.files`), the pointer file
`.publications/<YYYY-MM>.current` holds the current publication's token instead.

No Spark here: the portal imports it.
"""

from __future__ import annotations

import os
from pathlib import Path

from signaux_spark.months import is_month

PUBLICATIONS = ".publications"
NATIONAL = "national"  # the folder of the national summary, beside the region folders
LOCK = ".lock"  # `.publications/<YYYY-MM>.lock`: held by the exports writing that month
TEMPORARY_LINK = ".link"  # `<exports>/.<YYYY-MM>.<token>.link`: a link before it is renamed in place
POINTER = ".current"  # `.publications/<YYYY-MM>.current`: the current token where there are no links


def month_folder(exports: str | Path, month: str) -> Path | None:
    """The folder of the month's current publication, or None when the month is not published (or
    `month` is not a month). A link that leads outside `<exports>/.publications/` is not followed."""
    if not is_month(month):
        return None
    root = Path(exports)
    entry = root / month
    if entry.is_symlink():
        target = Path(os.path.realpath(entry))
        store = Path(os.path.realpath(root / PUBLICATIONS))
        if store not in target.parents or not target.is_dir():
            return None
        return target
    return entry if entry.is_dir() else None


def published_months(exports: str | Path) -> list[str]:
    """The months with a current publication, oldest first."""
    root = Path(exports)
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if is_month(p.name) and month_folder(root, p.name) is not None)
