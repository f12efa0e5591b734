"""Point-in-time firm-month features: one module per domain, pure DataFrame transforms.

Every monthly signal of `silver/firm_months` at month t is what was known at t (the source's batch
and its own timing rule); windows (`_lag<n>m`, `_mean<n>m`, `_diff<n>m`) then run over months of
that grid, so a lag is what was known n months earlier (a later revision does not rewrite it). Two
signals look back inside one month's knowledge instead: the contribution means (months t-k .. t-1
as known at t) and the perimeter's size rule (headcounts of t-35 .. t as known at t). `build.py`
reads the bronze tables and writes the silver and gold tables.
"""
