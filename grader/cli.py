"""The `grader` command."""
from __future__ import annotations

import argparse
import json
import os
import sys

from grader.errors import GraderError

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_SET_ASIDE = 0, 1, 2, 3


def _cmd_read(args) -> int:
    from datetime import timedelta

    from grader.transcript.reader import read_paths

    result = read_paths(args.paths, timedelta(minutes=args.session_gap))
    print(result.summary())
    return EXIT_SET_ASIDE if result.set_aside else EXIT_OK


def _cmd_grade(args) -> int:
    from grader.batch import Run
    from grader.options import period_of, settings_of
    from grader.privacy import masker_from_args
    from grader.store import Store

    days, _ = period_of(args)
    settings = settings_of(args)
    if args.session_gap != DEFAULT_SESSION_GAP_MINUTES:  # a reading option; recorded in versions when set
        settings.options["session_gap_minutes"] = args.session_gap
    store = Store(args.db)
    workers = args.workers or os.cpu_count() or 1
    engine = "dask" if args.scheduler else args.engine
    run = Run(store, settings, days, args.out, workers=workers, progress=None if not args.quiet else False,
              engine=engine, scheduler=args.scheduler, masker=masker_from_args(args))
    try:
        counts = run.execute(args.paths, wait_seconds=args.wait * 60, break_lock=args.break_lock)
    except KeyboardInterrupt:
        print(json.dumps({"status": "interrupted", **run.counts.as_dict()}, ensure_ascii=False))
        return 130
    human = [f"读取 {counts.read} 个会话：评分 {counts.graded}，未变化跳过 {counts.unchanged}，"
             f"不在日期范围 {counts.out_of_range}，搁置 {counts.set_aside}；平均分 {counts.mean_total}"]
    for reason, n in counts.set_aside_reasons.most_common(5):
        human.append(f"  搁置原因：{reason} × {n}")
    if counts.flagged_items:
        top = "、".join(f"{label}({n})" for label, n in counts.flagged_items.most_common(3))
        human.append(f"  最常需要复核的项目：{top}")
    if args.out:
        human.append(f"  结果写入 {args.out}/scorecards.jsonl、scorecards.csv、set_aside.jsonl；数据库 {store.url}")
    print("\n".join(human), file=sys.stderr)
    print(json.dumps({"status": "ok", **counts.as_dict()}, ensure_ascii=False))
    return EXIT_SET_ASIDE if counts.set_aside else EXIT_OK


def _cmd_report(args) -> int:
    from pathlib import Path

    from grader.options import period_of
    from grader.privacy import masker_from_args
    from grader.report import build, write_html, write_workbook
    from grader.rubric import load_rubric
    from grader.store import Store

    days, period = period_of(args)
    data = build(Store(args.db), *days.iso_bounds(), period, load_rubric(args.rubric), tz=days.tz,
                 masker=masker_from_args(args))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    xlsx = write_workbook(data, out / f"report-{period}.xlsx")
    html = write_html(data, out / f"report-{period}.html")
    print(f"报告：{len(data.cards)} 个评分会话（已复核 {data.reviewed}）→ {xlsx}，{html}", file=sys.stderr)
    print(json.dumps({"status": "ok", "period": period, "scorecards": len(data.cards), "reviewed": data.reviewed,
                      "xlsx": str(xlsx), "html": str(html)}, ensure_ascii=False))
    return EXIT_OK


def _cmd_month(args) -> int:
    from datetime import datetime
    from pathlib import Path

    from grader.dates import month_range
    from grader.detectors.lexicon import LexiconSet
    from grader.options import settings_of
    from grader.report.month import build_month
    from grader.report.month_files import write_month_html, write_month_workbook
    from grader.report.policy import load_policy
    from grader.rubric import load_rubric
    from grader.store import Store

    settings = settings_of(args)  # --tz, --lexicons, --rubric as the daily run's
    month = args.month or datetime.now(settings.tz).strftime("%Y-%m")
    month_range(month)  # refuses a malformed month
    policy = load_policy(args.policy)
    orders = None
    if args.orders:
        from grader.report.orders import read_orders
        orders = read_orders(args.orders)
        for bad in orders.set_aside:
            print(f"grader: 订单行已跳过 {bad}", file=sys.stderr)
        print(f"订单导出：{orders.rows} 行，读入 {len(orders.orders)} 个订单，跳过 {len(orders.set_aside)} 行",
              file=sys.stderr)
    report = build_month(Store(args.db), month, policy, load_rubric(args.rubric), LexiconSet.load(args.lexicons),
                         settings.tz, orders)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    from grader.privacy import masker_from_args
    masker = masker_from_args(args)
    xlsx = write_month_workbook(report, out / f"month-{month}.xlsx", masker)
    html = write_month_html(report, out / f"month-{month}.html", masker)
    print(f"月度考核：{len(report.agents)} 位客服，{len(report.chats)} 个会话，提醒 {len(report.alerts())} 条 → {xlsx}，{html}",
          file=sys.stderr)
    print(json.dumps({"status": "ok", "month": month, "agents": len(report.agents), "chats": len(report.chats),
                      "alerts": len(report.alerts()), "xlsx": str(xlsx), "html": str(html)}, ensure_ascii=False))
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    from grader.options import add_db_argument, add_grading_arguments, add_period_arguments, add_tz_argument
    from grader.privacy import add_masking_arguments

    p = argparse.ArgumentParser(prog="grader", description="Grade customer-service chats against the supervisor rubric.")
    sub = p.add_subparsers(dest="command", required=True)

    r = sub.add_parser("read", help="read exports and report what was read and set aside")
    r.add_argument("paths", nargs="+")
    _session_gap_argument(r)
    r.set_defaults(func=_cmd_read)

    g = sub.add_parser("grade", help="grade chats into the database and scorecard files")
    g.add_argument("paths", nargs="+", help="export files or folders (walked recursively)")
    g.add_argument("--out", help="folder for scorecards.jsonl, scorecards.csv and set_aside.jsonl")
    add_db_argument(g)
    add_period_arguments(g, month=False)
    add_grading_arguments(g)
    _session_gap_argument(g)
    g.add_argument("--wait", type=float, default=0, metavar="MINUTES",
                   help="if another run is grading into the same database, wait up to this long "
                        "(default: refuse at once with a message)")
    g.add_argument("--break-lock", action="store_true",
                   help="take the database from a run that died on another machine (its run is marked killed)")
    g.add_argument("--workers", type=int, default=0, help="worker processes (default: all cores)")
    g.add_argument("--engine", choices=["processes", "dask"], default="processes",
                   help="worker processes on this machine (default) or a Dask cluster")
    g.add_argument("--scheduler", help="with --engine dask: scheduler address (tcp://host:8786); "
                                       "default: a local cluster of --workers processes")
    g.add_argument("--quiet", action="store_true", help="no progress bar")
    add_masking_arguments(g)
    g.set_defaults(func=_cmd_grade)

    rp = sub.add_parser("report", help="write the team report (Excel + HTML) from the database")
    add_period_arguments(rp)
    add_db_argument(rp)
    rp.add_argument("--rubric", help="the rubric the scorecards were graded with (band names; default: standard)")
    rp.add_argument("--out", default="reports", help="folder for the report files (default ./reports)")
    add_masking_arguments(rp)
    rp.set_defaults(func=_cmd_report)

    mo = sub.add_parser("month", help="the monthly assessment: KPIs, final grade, ranking, pay, alerts (Excel + HTML)")
    mo.add_argument("--month", help="YYYY-MM (default: this month)")
    mo.add_argument("--policy", help="the shop's assessment policy TOML (default: the bundled policy.toml)")
    mo.add_argument("--orders", nargs="+", metavar="FILE",
                    help="the shop's order export(s), CSV or XLSX: sales joined to the chats by buyer and time")
    add_db_argument(mo)
    add_tz_argument(mo)
    mo.add_argument("--rubric", help="the rubric the scorecards were graded with (default: standard)")
    mo.add_argument("--lexicons", help="lexicon folder (default $GRADER_LEXICONS or ./lexicons)")
    mo.add_argument("--out", default="reports", help="folder for the report files (default ./reports)")
    add_masking_arguments(mo)
    mo.set_defaults(func=_cmd_month)

    from grader.calibration import cli_register as calibration_commands
    from grader.review.cli import cli_register as review_commands

    review_commands(sub)
    calibration_commands(sub)
    return p


DEFAULT_SESSION_GAP_MINUTES = 120.0  # grader.transcript.qianniu.SESSION_GAP


def _session_gap_argument(parser) -> None:
    parser.add_argument("--session-gap", type=float, default=DEFAULT_SESSION_GAP_MINUTES, metavar="MINUTES",
                        help="in exports without chat ids (Qianniu text, exporter JSON) a chat ends after "
                             "this many idle minutes with no customer message waiting (default 120)")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except GraderError as exc:
        print(f"grader: {exc}", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
