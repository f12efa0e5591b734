"""The shipped real table (a public table of Taiwanese firms, bankrupt or not) shaped as
conf/taiwan.yaml declares it, for the model's tests and bench/bench_real.py: snake-case column
names, a firm key, and a month per row. The table has no dates, so the month is drawn from the row
number over four years; `fold` rotates it by a year, so that each fold tests other rows."""

from __future__ import annotations

import re

import pandas as pd

TAIWAN = "/work/shared/data/real/taiwan_bankruptcy.csv.gz"
START = pd.Timestamp("2015-01-01")


def taiwan(fold: int = 0) -> pd.DataFrame:
    df = pd.read_csv(TAIWAN)
    df.columns = [re.sub(r"[^a-z0-9]+", "_", c.strip().lower()).strip("_") for c in df.columns]
    df.insert(0, "firm_id", [f"TW{i:05d}" for i in range(len(df))])
    months = [(i * 7919 + 12 * fold) % 48 for i in range(len(df))]
    df.insert(1, "period", [(START + pd.DateOffset(months=m)).date() for m in months])
    return df
