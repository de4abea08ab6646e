"""The `grader` command."""
from __future__ import annotations

import argparse
import json
import os
import sys
from zoneinfo import ZoneInfo

from grader.errors import GraderError

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_SET_ASIDE = 0, 1, 2, 3


def _cmd_read(args) -> int:
    from datetime import timedelta

    from grader.transcript.reader import check_paths, read_paths

    check_paths(args.paths)
    result = read_paths(args.paths, timedelta(minutes=args.session_gap))
    print(result.summary())
    return EXIT_SET_ASIDE if result.set_aside else EXIT_OK


def _cmd_grade(args) -> int:
    from grader.batch import Run
    from grader.options import period_of, settings_of
    from grader.privacy import masker_from_args
    from grader.store import Store
    from grader.transcript.reader import check_paths

    check_paths(args.paths)
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
    if counts.graded and not args.no_precompute:
        refresh_after_run(store, settings, days, run.grader)  # what the month and calibration pages read
    human = [f"读取 {counts.read} 项：评分 {counts.graded} 个会话，未变化跳过 {counts.unchanged}，"
             f"不在日期范围 {counts.out_of_range}，搁置 {counts.set_aside}（读不懂的会话、行或文件）；平均分 {counts.mean_total}"]
    for reason, n in counts.set_aside_reasons.most_common(5):
        human.append(f"  搁置原因：{reason} × {n}")
    if counts.flagged_items:
        top = "、".join(f"{label}({n})" for label, n in counts.flagged_items.most_common(3))
        human.append(f"  最常需要复核的项目：{top}")
    if args.out:
        human.append(f"  结果写入 {args.out}/scorecards.jsonl、scorecards.csv、set_aside.jsonl；数据库 {store.url}")
    from grader.rubric.fitted import running_warning
    human += running_warning(run.grader)  # the flags were set by a model fitted against other versions
    print("\n".join(human), file=sys.stderr)
    print(json.dumps({"status": "ok", **counts.as_dict()}, ensure_ascii=False))
    return EXIT_SET_ASIDE if counts.set_aside else EXIT_OK


def run_months(store, days, tz) -> list[str]:
    """The months a grading run over `days` (a DayRange) touched: those of its bounds, else the latest chat's."""
    ends = [d for d in (days.since, days.until) if d is not None]
    if not ends:
        latest = store.latest_day(tz)
        return [latest[:7]] if latest else []
    first, last = min(ends), max(ends)
    months, n = [], first.year * 12 + first.month - 1
    while n <= last.year * 12 + last.month - 1:
        months.append(f"{n // 12:04d}-{n % 12 + 1:02d}")
        n += 1
    return months[-3:]  # a long range: its last three months (`grader month` computes any other)


def refresh_after_run(store, settings, days, grader=None, policy_path=None) -> dict[str, float]:
    """After the daily run: the month aggregates of the months it touched and, when supervisors have
    labelled chats, the calibration report the page opens with (every date). Returns seconds per
    aggregate; a failure is reported on stderr and never fails the run."""
    import time

    from grader.calibration.stored import refresh_calibration
    from grader.report.policy import load_policy
    from grader.report.precompute import month_key, refresh_month
    from grader.store import overrides, review_state

    grader = grader or settings.grader()
    done: dict[str, float] = {}
    jobs = [(month_key(m), lambda m=m: refresh_month(store, m, load_policy(policy_path), grader.rubric,
                                                     grader.lexicons, settings.tz))
            for m in run_months(store, days, settings.tz)]
    if store.count(overrides) or store.count(review_state, review_state.c.reviewed.is_(True)):
        jobs.append(("calibration", lambda: refresh_calibration(store, None, None, settings)))
    for key, job in jobs:
        began = time.perf_counter()
        try:
            job()
        except Exception as exc:  # the pages compute it again in the background
            import traceback

            print(f"grader: 评分已完成，但预先计算 {key} 失败（页面打开时会重新计算）：{type(exc).__name__}: {exc}",
                  file=sys.stderr)
            traceback.print_exc(file=sys.stderr)
            continue
        done[key] = round(time.perf_counter() - began, 2)
    return done


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


def _cmd_precompute(args) -> int:
    """What the month and calibration pages read, computed in a process of its own (the review app
    runs this in its background; `grader grade` does the same after a run)."""
    from grader.options import settings_of
    from grader.settings import GradeSettings
    from grader.store import Store

    settings = GradeSettings(**json.loads(args.settings)) if args.settings else settings_of(args)
    store = Store(args.db)
    done = {}
    for month in args.month or []:
        from grader.dates import month_range
        from grader.report.policy import load_policy
        from grader.report.precompute import refresh_month

        month_range(month)  # refuses a malformed month
        grader = settings.grader()
        refresh_month(store, month, load_policy(args.policy), grader.rubric, grader.lexicons, settings.tz)
        done[f"month:{month}"] = True
    if args.calibration:
        from grader.calibration.stored import refresh_calibration
        refresh_calibration(store, args.since or None, args.until or None, settings)
        done["calibration"] = True
    print(json.dumps({"status": "ok", **done}, ensure_ascii=False))
    return EXIT_OK


def _cmd_show(args) -> int:
    from grader.rubric import load_rubric
    from grader.scorecard.text import card_text
    from grader.store import Store

    store = Store(args.db)
    cards = store.current_scorecards(args.ids)
    missing = [tid for tid in args.ids if tid not in cards]
    if missing:
        raise GraderError(f"数据库里没有这些会话的评分卡：{'、'.join(missing)}")
    finals = store.final_cards([cards[tid] for tid in args.ids], load_rubric(args.rubric))
    print("\n\n".join(card_text(final, ZoneInfo(args.tz)) for final in finals))
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    """The `grader` command and its sub-commands (each sets `func(args) -> exit status`)."""
    from grader.calibration import cli_register as calibration_commands
    from grader.options import ChineseParser, example
    from grader.review.cli import cli_register as review_commands

    p = ChineseParser(prog="grader", description="按主管的评分表给客服会话评分：读取导出的聊天记录，生成带证据的评分卡、复核页面和报告。",
                      epilog=example("grader grade 导出文件夹/ --date yesterday --out 结果/",
                                     "grader report --date yesterday --out 报告/"))
    sub = p.add_subparsers(dest="command", required=True, title="命令", metavar="命令", parser_class=ChineseParser)
    for add in (_add_read, _add_grade, _add_report, _add_month, _add_precompute, _add_show, _add_lexicons):
        add(sub)
    review_commands(sub)
    calibration_commands(sub)
    return p


def _add_read(sub) -> None:
    from grader.options import example

    r = sub.add_parser("read", help="读取导出文件，报告读到了什么、搁置了什么（不评分）",
                       epilog=example("grader read 导出文件夹/ 千牛记录.txt"))
    r.add_argument("paths", nargs="+", metavar="路径", help="导出文件或文件夹（递归读取）")
    _session_gap_argument(r)
    r.set_defaults(func=_cmd_read)


def _add_grade(sub) -> None:
    from grader.options import add_db_argument, add_grading_arguments, add_period_arguments, example
    from grader.privacy import add_masking_arguments

    g = sub.add_parser("grade", help="给会话评分，写入数据库和评分卡文件",
                       epilog=example("grader grade 导出文件夹/ --date yesterday --out 结果/",
                                      "grader grade transcripts/ --date 2026-11-22 --db out/grader.db --out out/"))
    g.add_argument("paths", nargs="+", metavar="路径", help="导出文件或文件夹（递归读取）")
    g.add_argument("--out", help="写入 scorecards.jsonl、scorecards.csv 和 set_aside.jsonl 的文件夹")
    add_db_argument(g)
    add_period_arguments(g, month=False)
    add_grading_arguments(g)
    _session_gap_argument(g)
    g.add_argument("--wait", type=float, default=0, metavar="MINUTES",
                   help="另一个评分任务正在写同一个数据库时，最多等待这么多分钟（默认：立即拒绝并说明）")
    g.add_argument("--break-lock", action="store_true",
                   help="接管另一台电脑上中断的评分任务占用的数据库（那次任务记为已中断）")
    g.add_argument("--workers", type=int, default=0, help="工作进程数（默认：全部 CPU 核心）")
    g.add_argument("--no-precompute", action="store_true",
                   help="评分后不预先计算月度指标和评分校准结果（复核页面打开时会在后台计算）")
    g.add_argument("--engine", choices=["processes", "dask"], default="processes",
                   help="本机多进程（默认）或 Dask 集群")
    g.add_argument("--scheduler", help="配合 --engine dask：调度器地址（tcp://主机:8786）；默认在本机启动 --workers 个进程的集群")
    g.add_argument("--quiet", action="store_true", help="不显示进度条")
    add_masking_arguments(g)
    g.set_defaults(func=_cmd_grade)


def _add_report(sub) -> None:
    from grader.options import add_db_argument, add_period_arguments, example
    from grader.privacy import add_masking_arguments

    rp = sub.add_parser("report", help="从数据库生成团队报告（Excel 和 HTML）",
                        epilog=example("grader report --date yesterday --db out/grader.db --out 报告/"))
    add_period_arguments(rp)
    add_db_argument(rp)
    rp.add_argument("--rubric", help="评分时用的评分表 TOML（决定等级名称；默认：标准评分表）")
    rp.add_argument("--out", default="reports", help="报告文件写入的文件夹（默认 ./reports）")
    add_masking_arguments(rp)
    rp.set_defaults(func=_cmd_report)


def _add_month(sub) -> None:
    from grader.options import LEXICONS_HELP, add_db_argument, add_tz_argument, example
    from grader.privacy import add_masking_arguments

    mo = sub.add_parser("month", help="月度考核：指标、最终成绩、排名、工资、提醒（Excel 和 HTML）",
                        epilog=example("grader month --month 2026-11 --out 报告/"))
    mo.add_argument("--month", help="月份 YYYY-MM（默认：本月）")
    mo.add_argument("--policy", help="店铺的考核方案 TOML（默认：自带的 policy.toml）")
    mo.add_argument("--orders", nargs="+", metavar="文件",
                    help="店铺的订单导出（CSV 或 XLSX，可多个）：按买家账号和时间与聊天对上，算询单转化、客单价等")
    add_db_argument(mo)
    add_tz_argument(mo)
    mo.add_argument("--rubric", help="评分时用的评分表 TOML（默认：标准评分表）")
    mo.add_argument("--lexicons", help=LEXICONS_HELP)
    mo.add_argument("--out", default="reports", help="报告文件写入的文件夹（默认 ./reports）")
    add_masking_arguments(mo)
    mo.set_defaults(func=_cmd_month)


def _add_precompute(sub) -> None:
    from grader.options import add_db_argument, add_grading_arguments, add_tz_argument, example

    pc = sub.add_parser("precompute", help="预先计算复核页面读取的月度指标和评分校准结果（复核页面在后台自动运行）",
                        epilog=example("grader precompute --month 2026-11 --calibration"))
    add_db_argument(pc)
    pc.add_argument("--month", action="append", help="要计算的月份 YYYY-MM（可重复）")
    pc.add_argument("--calibration", action="store_true", help="计算 --since 到 --until 的评分校准结果")
    pc.add_argument("--since", help="评分校准的开始日期（默认：全部日期）")
    pc.add_argument("--until", help="评分校准的结束日期")
    pc.add_argument("--policy", help="店铺的考核方案 TOML 文件（默认：自带方案）")
    add_grading_arguments(pc)
    add_tz_argument(pc)
    pc.add_argument("--settings", help=argparse.SUPPRESS)  # the review app's GradeSettings as JSON
    pc.set_defaults(func=_cmd_precompute)


def _add_show(sub) -> None:
    from grader.options import add_db_argument, add_tz_argument, example

    sh = sub.add_parser("show", help="在终端显示评分卡：每项的分数、把握、原因和证据（主管改过的分数一并显示）",
                        epilog=example("grader show jd-xinghe-102 --db out/grader.db"))
    sh.add_argument("ids", nargs="+", metavar="会话ID", help="要显示的会话ID")
    add_db_argument(sh)
    add_tz_argument(sh)
    sh.add_argument("--rubric", help="评分时用的评分表 TOML（默认：标准评分表）")
    sh.set_defaults(func=_cmd_show)


def _add_lexicons(sub) -> None:
    from grader.options import LEXICONS_HELP, example

    lx = sub.add_parser("lexicons", help="列出正在使用的词库及版本；或把自带词库复制到店铺自己的文件夹",
                        epilog=example("grader lexicons", "grader lexicons --copy 词库/",
                                       "grader grade 导出文件夹/ --lexicons 词库/"))
    lx.add_argument("--lexicons", help=LEXICONS_HELP)
    lx.add_argument("--copy", metavar="文件夹",
                    help="把这些词库复制到一个新的或空的文件夹；之后用 --lexicons 或 GRADER_LEXICONS 指向它，"
                         "grader calibrate --apply 的修改写在那里，升级不会覆盖")
    lx.set_defaults(func=_cmd_lexicons)


def _cmd_lexicons(args) -> int:
    from grader.detectors.lexicon import LexiconSet, default_lexicon_dir
    from grader.detectors.lexicon_files import copy_lexicons

    source = args.lexicons or default_lexicon_dir()
    if args.copy:
        written = copy_lexicons(args.copy, source)
        print(f"已把 {len(written)} 个词库文件从 {source} 复制到 {args.copy}；"
              f"评分和校准请加 --lexicons {args.copy}（或设 GRADER_LEXICONS={args.copy}）", file=sys.stderr)
        print(json.dumps({"status": "ok", "copied": len(written), "to": str(args.copy)}, ensure_ascii=False))
        return EXIT_OK
    lexicons = LexiconSet.load(source)
    print(f"词库文件夹：{source}")
    for name, lex in sorted(lexicons.items()):
        print(f"  {name:<28} v{lex.version:<4} {len(lex.terms):>4} 条  {lex.headers.get('item', '')}")
    return EXIT_OK


DEFAULT_SESSION_GAP_MINUTES = 120.0  # grader.transcript.qianniu.SESSION_GAP


def _session_gap_argument(parser) -> None:
    parser.add_argument("--session-gap", type=float, default=DEFAULT_SESSION_GAP_MINUTES, metavar="MINUTES",
                        help="没有会话ID的导出（千牛文本、导出工具的 JSON）中，空闲这么多分钟且没有顾客消息在等回复时，"
                             "会话结束（默认 120）")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from grader.store.core import close_all
    try:
        return args.func(args)
    except GraderError as exc:
        print(f"grader: {exc}", file=sys.stderr)
        return EXIT_ERROR
    finally:
        close_all()  # a SQLite database file stands alone once a command is done (WAL folded in)


if __name__ == "__main__":
    sys.exit(main())
