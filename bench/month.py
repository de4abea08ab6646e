"""Benchmark: the monthly report (`grader month`) over a month's graded chats.

    python -m bench.month --chats 10000

Generates (or reuses) the benchmark's synthetic chats (bench/generate.py, all on one day of
2026-11), grades them with all cores into a fresh database (`--no-precompute`), then measures in one
process, each phase on its own: the grades (supervisor means from the queue's stored columns,
self-assessments, rank, pay and the earlier months for trends and alerts), the month's precomputed
KPIs the first time (every chat's facts: final cards, transcripts, lexicon tests, findings for the
after-sale chats that need them; then the same buyer's later chats and the aggregate), the same
again with nothing changed (what a page's refresh costs after a day without changes to the month),
and writing the workbook and the HTML page. Prints seconds and chats/second per phase and the
process's peak RSS.
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

from bench.generate import DAY
from bench.run import ROOT, data_dir

MONTH = DAY[:7]


def grade(folder: Path, db: Path, chats: int) -> None:
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "grader.cli", "grade", str(folder), "--date", DAY, "--db", str(db),
                    "--workers", str(os.cpu_count() or 1), "--quiet", "--no-precompute"], check=True,
                   stdout=subprocess.DEVNULL)
    print(f"graded {chats} chats in {time.perf_counter() - t:.0f} s (not part of the figures)", file=sys.stderr)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--chats", type=int, default=10_000)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--regrade", action="store_true", help="grade into a fresh database even if one exists")
    args = p.parse_args(argv)
    folder = data_dir(args.chats, args.seed, ROOT / "data")
    work = ROOT / "data" / f"month-{args.chats}"
    db = work / "g.db"
    if args.regrade or not db.exists():
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        grade(folder, db, args.chats)
    else:
        print(f"reusing {db} (--regrade to grade again)", file=sys.stderr)

    from grader.detectors.lexicon import LexiconSet
    from grader.report.month import MonthReport, _alerts, month_grades, month_history
    from grader.report.month_files import write_month_html, write_month_workbook
    from grader.report.policy import load_policy
    from grader.report.precompute import refresh_month
    from grader.rubric import load_rubric
    from grader.store import Store

    store, policy, rubric, lexicons = Store(str(db)), load_policy(), load_rubric(), LexiconSet.load()
    store.drop_facts([k[0] for k in store.chats_between("", "~")])  # the first computation, each run
    phases = {}
    t = time.perf_counter()
    agents = month_grades(store, MONTH, policy, rubric)
    history = month_history(store, MONTH, policy)
    _alerts(MONTH, agents, history, policy)
    phases["grades, rank, pay"] = time.perf_counter() - t
    t = time.perf_counter()
    chats, kpis, without = refresh_month(store, MONTH, policy, rubric, lexicons)
    phases["KPIs, first time"] = time.perf_counter() - t
    t = time.perf_counter()
    refresh_month(store, MONTH, policy, rubric, lexicons)
    phases["KPIs, unchanged"] = time.perf_counter() - t
    report = MonthReport(MONTH, policy, agents, history, chats, kpis, without)
    t = time.perf_counter()
    write_month_workbook(report, work / "month.xlsx")
    write_month_html(report, work / "month.html")
    phases["xlsx + html"] = time.perf_counter() - t
    n = len(chats)
    print(f"month {MONTH}: {n} chats, {len(agents)} agents")
    for name, seconds in phases.items():
        print(f"  {name:<20} {seconds:7.1f} s  {n / seconds if seconds else 0:9.0f} chats/s")
    print(f"  peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
