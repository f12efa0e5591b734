"""The embedded default data: a distributed generator of realistic source files (SOURCES.md) for a
synthetic France of firms whose failures follow a known hidden process, with its oracle.

    from signaux_spark.synthetic import generate
    summary = generate(spark, "/tmp/data", size="tiny")

See docs/synthetic.md for the process, its parameters and the outputs.
"""

from signaux_spark.synthetic.generator import generate
from signaux_spark.synthetic.plan import sizes

__all__ = ["generate", "sizes"]
