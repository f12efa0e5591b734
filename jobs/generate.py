"""Generate the embedded default data: realistic raw source files, their fault manifests and the
oracle of the hidden risk process (docs/synthetic.md).

    ./spark-submit.sh generate --size demo
    ./spark-submit.sh generate --firms 2000 --from 2020-01 --to 2024-12 --seed 3 --faults none --out /tmp/data

Writes OUT/landing/<source>/<YYYY-MM>/<file>, OUT/faults/<YYYY-MM>.csv and the oracle beside them
(OUT defaults to paths.root; see docs/synthetic.md). Outputs of an earlier generation under OUT are
replaced; an output folder (landing, faults, oracle) the generator did not write is refused, untouched.
"""

from __future__ import annotations

import json
import sys

from signaux_spark import cli
from signaux_spark.errors import JobError
from signaux_spark.session import build_session
from signaux_spark.synthetic import generate, sizes
from signaux_spark.synthetic.plan import fault_profile


def main(argv: list[str] | None = None) -> int:
    p = cli.parser(__doc__.splitlines()[0])
    how_many = p.add_mutually_exclusive_group()
    how_many.add_argument(
        "--size",
        choices=sorted(sizes()),
        default=None,  # default: demo
        help="named size: " + ", ".join(f"{k} ({v:,} firms)" for k, v in sizes().items()),
    )
    how_many.add_argument("--firms", type=int, default=None, help="number of firms (SIRENs) instead of a size")
    p.add_argument(
        "--from",
        dest="first",
        type=cli.month,
        default=cli.month("2015-01"),
        help="first batch YYYY-MM, carrying the initial stock (default 2015-01)",
    )
    p.add_argument(
        "--to", dest="last", type=cli.month, default=cli.month("2024-12"), help="last batch YYYY-MM (default 2024-12)"
    )
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--faults", default="default", help="fault profile: a name in conf/generator/faults/ or a YAML path")
    p.add_argument("--partitions", type=int, default=None, help="Spark partitions (default: 2,500 firms each)")
    p.add_argument("--out", default=None, help="output folder (default: paths.root of the settings)")
    args, settings = cli.parse(p, argv)
    if args.firms is not None and args.firms < 1:
        raise JobError("--firms must be at least 1")
    if args.last < args.first:
        raise JobError(f"--to {args.last:%Y-%m} is before --from {args.first:%Y-%m}")
    try:
        fault_profile(args.faults)
    except ValueError as err:
        raise JobError(str(err)) from None
    spark = build_session("signaux_spark-generate", settings)
    try:
        summary = generate(
            spark,
            args.out or settings.path("root"),
            size=args.size or "demo",
            firms=args.firms,
            first_batch=f"{args.first:%Y-%m}",
            last_batch=f"{args.last:%Y-%m}",
            seed=args.seed,
            faults=args.faults,
            partitions=args.partitions,
        )
    except ValueError as err:
        raise JobError(str(err)) from None
    print(json.dumps(summary, indent=1, ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(cli.run(main))
