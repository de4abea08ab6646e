"""`grader grade ... --engine ENGINE`, until grader/cli.py has the option (then it is just that).

    python -m bench.grade_engine dask DIR --date 2026-11-22 --db x.db --out out --workers 2
"""
from __future__ import annotations

import json
import sys

from grader import cli


def main(argv: list[str]) -> int:
    engine, rest = argv[0], argv[1:]
    parser = cli.build_parser()
    if "--engine" in parser.format_help() or any("--engine" in a.format_help() for a in
                                                  parser._subparsers._group_actions[0].choices.values()):
        return cli.main(["grade", *rest, "--engine", engine])
    from grader.batch import GradeSettings, Run
    from grader.dates import DayRange
    from grader.store import Store

    args = parser.parse_args(["grade", *rest])
    days = DayRange.from_args(day=args.date, since=args.since, until=args.until, tz=args.tz)
    settings = GradeSettings(rubric=args.rubric, lexicons=args.lexicons, options={"service_hours": args.service_hours})
    counts = Run(Store(args.db), settings, days, args.out, workers=args.workers, progress=False,
                 engine=engine).execute(args.paths)
    print(json.dumps({"status": "ok", **counts.as_dict()}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
