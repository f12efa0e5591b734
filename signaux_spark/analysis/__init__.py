"""What the notebooks call: settings and session for a notebook, and small summaries of the lake's
tables (coverage, feature profiles, model runs, regional lists and their outcomes)."""
