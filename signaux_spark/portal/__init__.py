"""The regional portal: each region signs in and downloads its own list, and nothing else.

`python -m signaux_spark.portal serve` starts it; `... users add|disable|enable|list|reset-password`
manage the accounts; `... feedback export` writes the recorded feedback to a Delta table. The web
application imports no Spark (only the feedback export does).
"""
