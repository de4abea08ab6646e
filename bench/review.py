"""Benchmark: the review app at a real shop's volume (100,000 graded chats by default).

    python -m bench.review --chats 100000          # seeds bench/data/review-100000.db once, then measures

1. Seeds a database (once, into bench/data/, git-ignored; reused while it holds the chats asked for,
   so a re-measure does not reseed): `--base` realistic chats from bench/generate.py are read and
   graded for real, then stored again and again under new ids, buyers and days (spread over `--days`
   days ending on 2026-11-22), so the database holds `--chats` graded chats with their packed
   documents, item rows, queue rows and month facts, as the daily run writes them. (The clones'
   stored messages keep their base chat's times; the queue, the card's day and the facts are moved.)
2. Starts `grader review` on it in its own process (uvicorn, one worker) and signs in as a supervisor.
   Every `--label-every`-th chat is reviewed with one item overridden (the supervisors' labels), and
   then, as after the daily run, the month aggregates (both months the days span) and the calibration
   report of every date are precomputed (`grader.cli.refresh_after_run`): timed, with that process's
   CPU and peak memory; its errors go to this benchmark's stderr. `--precompute` does it again on a
   database seeded before.
3. Measures, 20 times each, the median and the 90th percentile in ms:
   queue page of one day (~chats/days cards), queue page of all dates, page 20 of all dates, a search
   for a word of the chats, a card page, "标记已复核，下一张" (the POST that marks a card reviewed and
   finds the next; the next card's page is the card page figure), the month page of each month (its
   KPIs stale after those reviews: shown with their time while the server recomputes them in its
   background), a KPI drill-down page, the calibration page (stored report), and /healthz while the
   server computes a calibration report nobody asked for before (a new period) in its background.
4. Prints the server's resident memory after start and after the requests, and its peak (VmHWM)
   over the whole run, background computations included; run with a smaller --chats to see it
   stay flat in the number of chats. Results also go to bench/data/review-<chats>.json.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent
LAST_DAY = date(2026, 11, 22)
PASSWORD = "bench-pass-1"
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


def _base_pairs(n: int, seed: int):
    from bench.generate import generate
    from grader.pipeline import Grader
    from grader.transcript import read_paths

    folder = ROOT / "data" / f"review-base-{n}-{seed}"
    if not (folder / ".manifest.json").exists():
        generate(n, folder, seed=seed, per_file=500)
    found = read_paths(folder)
    grader = Grader()
    return [(t, grader.grade(t)) for t in found.transcripts]


def _shifted(rows, k: int, days: int):
    """A copy of a chat's ChatRows as chat number k: new id and buyer, moved to day k % days."""
    from datetime import datetime

    from grader.store.rows import ChatRows

    shift = timedelta(days=-(k % days))
    t, c, q = dict(rows.transcript), dict(rows.card), dict(rows.queue)
    tid = f"{t['id']}~{k}"
    started = datetime.fromisoformat(t["started_at"]) + shift if t["started_at"] else None
    day = (date.fromisoformat(t["day"]) + shift).isoformat() if t["day"] else None
    t.update(id=tid, started_at=started.isoformat() if started else None, day=day, customer=f"buyer{k:06d}")
    c.update(transcript_id=tid, day=day)
    q.update(transcript_id=tid, customer=f"buyer{k:06d}",
             started_utc=(datetime.fromisoformat(q["started_utc"]) + shift).isoformat() if q["started_utc"] else None)
    return ChatRows(t, c, rows.items, rows.view, rows.versions, {}, q, rows.search,
                    _shifted_facts(rows.facts, tid, f"buyer{k:06d}", shift) if rows.facts else None)


def _shifted_facts(row: dict, tid: str, buyer: str, shift: timedelta) -> dict:
    """A chat's facts row moved as `_shifted` moves the chat."""
    from datetime import datetime

    doc = json.loads(row["facts"])
    for key in ("first", "started", "ended"):
        doc[key] = (datetime.fromisoformat(doc[key]) + shift).isoformat() if doc[key] else None
    doc["t0"] = doc["t0"] + shift.total_seconds()
    doc.update(id=tid, customer=buyer)
    from grader.transcript.model import SHANGHAI

    month = datetime.fromisoformat(doc["first"]).astimezone(SHANGHAI).strftime("%Y-%m") if doc["first"] else ""
    return {**row, "transcript_id": tid, "month": month, "facts": json.dumps(doc, ensure_ascii=False,
                                                                               separators=(",", ":"))}


def label(db: str, every: int) -> int:
    """Review every `every`-th chat (by id) with one item overridden, as supervisors do; returns how many."""
    from grader.review.overrides import apply_override, mark_reviewed
    from grader.store import Store, overrides, review_queue

    store = Store(db)
    if store.count(overrides):
        return 0
    with store.engine.connect() as conn:
        ids = [r[0] for r in conn.execute(review_queue.select().with_only_columns(review_queue.c.transcript_id)
                                          .order_by(review_queue.c.transcript_id))][::every]
    for n, tid in enumerate(ids):
        card = store.current_scorecards([tid])[tid]
        item = next((i for i in card.items if len(i.levels) > 1 and not i.not_applicable), None)
        if item is not None:
            level = next(v for v in item.levels if v != item.score)
            apply_override(store, tid, item.id, str(level), "复核后调整", "bench")
        mark_reviewed(store, tid, "bench")
    return len(ids)


def precompute(db: str) -> dict:
    """What the daily run does after grading: the month aggregates and the calibration report."""
    import resource

    from grader.dates import DayRange
    from grader.cli import refresh_after_run
    from grader.settings import GradeSettings
    from grader.store import Store

    began = time.perf_counter()
    done = refresh_after_run(Store(db), GradeSettings(), DayRange(LAST_DAY - timedelta(days=40), LAST_DAY))
    return {"seconds": done, "total_s": round(time.perf_counter() - began, 1),
            "cpu_s": round(time.process_time(), 1),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def precompute_child(db: str) -> dict:
    """`precompute(db)` in a process of its own (its peak memory is its own); the child's errors and
    progress go to this process's stderr. Raises RuntimeError when the child fails."""
    code = f"import json, bench.review as b; print(json.dumps(b.precompute({db!r})))"
    done = subprocess.run([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=None, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"precompute failed (exit {done.returncode}); its errors are above")
    return json.loads(done.stdout.strip().splitlines()[-1])


def seed(db: str, chats: int, days: int, base: int, seed_: int) -> float:
    """Fill `db` up to `chats` graded chats; returns seconds spent."""
    from grader.pipeline import Grader
    from grader.review.auth import add_user
    from grader.store import Store, chat_rows, review_queue
    from grader.transcript.model import SHANGHAI

    store = Store(db)
    have = store.count(review_queue)
    if have >= chats:
        return 0.0
    began = time.time()
    pairs = _base_pairs(base, seed_)
    # each base chat moved onto its last day first, so clones spread evenly over the days
    rows = chat_rows(pairs, store.packer, SHANGHAI, lexicons=Grader().lexicons)  # with their month facts
    rows[0].dictionaries = {**rows[0].dictionaries}
    store.save_rows(rows[:1])  # stores the dictionaries and versions
    batch = []
    for k in range(have, chats):
        batch.append(_shifted(rows[k % len(rows)], k, days))
        if len(batch) == 5000:
            store.save_rows(batch)
            batch = []
            print(f"  seeded {k + 1} chats", file=sys.stderr, flush=True)
    store.save_rows(batch)
    try:
        add_user(store, "bench", PASSWORD, "supervisor")
    except Exception:  # exists from an earlier run
        pass
    return time.time() - began


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/statm") as f:
        return int(f.read().split()[1]) * PAGE_KB


def _peak_kb(pid: int) -> int:
    """The process's peak resident memory so far (VmHWM)."""
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))


def _an_order_number(db: str) -> str:
    """A 16-digit number some stored chat mentions (the generator writes order numbers so)."""
    from grader.store import Store, review_queue
    from sqlalchemy import select

    store = Store(db)
    with store.engine.connect() as conn:
        ids = [r[0] for r in conn.execute(select(review_queue.c.transcript_id).limit(50))]
    for t in store.transcripts(ids).values():
        for m in t.messages:
            if found := re.search(r"\d{16}", m.text):
                return found.group(0)
    return "4302918876512345"


def measure(db: str, repeats: int, days: int) -> dict:
    import httpx

    port = _free_port()
    log = open(Path(db).with_suffix(".server.log"), "w")
    server = subprocess.Popen([sys.executable, "-m", "grader.cli", "review", "--db", db, "--port", str(port)],
                              stdout=log, stderr=subprocess.STDOUT, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                httpx.get(base + "/healthz", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        rss_start = _rss_kb(server.pid)
        c = httpx.Client(base_url=base, follow_redirects=False, timeout=60)
        token = re.search(r'name="csrf" value="([^"]+)"', c.get("/login").text).group(1)
        assert c.post("/login", data={"name": "bench", "password": PASSWORD, "csrf": token,
                                      "next": "/"}).status_code == 303
        day = LAST_DAY.isoformat()
        one_day = f"since={day}&until={day}"

        def timed(fn) -> list[float]:
            out = []
            for _ in range(repeats):
                t0 = time.perf_counter()
                r = fn()
                out.append((time.perf_counter() - t0) * 1000)
                assert r.status_code in (200, 303), (r.status_code, r.text[:300])
            return out

        first = c.get("/?" + one_day).text
        order_number = _an_order_number(db)
        count = re.search(r"共 <b>(\d+)</b> 张评分卡", first).group(1)
        figures = {
            "queue page, one day": timed(lambda: c.get("/?" + one_day)),
            "queue page, all dates": timed(lambda: c.get("/?since=&until=")),
            "queue page 20, all dates": timed(lambda: c.get("/?since=&until=&page=20")),
            "search a word, all dates": timed(lambda: c.get("/?since=&until=&search=退款")),
            "search a phrase, all dates": timed(lambda: c.get("/?since=&until=&search=什么时候发货")),
            "search an order number": timed(lambda: c.get("/?since=&until=&search=" + order_number)),
        }
        ids = re.findall(r'data-transcript="([^"]+)"', first)
        figures["card page"] = timed(lambda: c.get("/card", params={"id": ids[0], "q": one_day}))
        pending = list(ids)

        def reviewed_next():
            tid = pending.pop(0)
            html = c.get("/card", params={"id": tid, "q": one_day}).text  # not timed: the form's revision
            form = {"csrf": re.search(r'name="csrf" value="([^"]+)"', html).group(1), "transcript_id": tid,
                    "revision": re.search(r'name="revision" value="(\d+)"', html).group(1), "q": one_day}
            t0 = time.perf_counter()
            r = c.post("/reviewed", data=form)
            times.append((time.perf_counter() - t0) * 1000)
            assert r.status_code == 303 and "/card?" in r.headers["location"], r.text[:300]
            return r

        times: list[float] = []
        for _ in range(repeats):
            reviewed_next()
        figures["reviewed → next"] = times

        months = sorted({(LAST_DAY - timedelta(days=n)).strftime("%Y-%m") for n in range(days)}, reverse=True)
        for month in months:
            figures[f"month page {month}"] = timed(lambda m=month: c.get("/month", params={"month": m}))
        html = c.get("/month", params={"month": months[0]}).text
        drill = re.search(r'href="(/month/drill\?[^"]+)"', html)
        if drill:
            url = drill.group(1).replace("&amp;", "&")
            figures["KPI drill-down page"] = timed(lambda: c.get(url))
        figures["calibration page"] = timed(lambda: c.get("/calibration"))
        fresh_period = {"since": (LAST_DAY - timedelta(days=6)).isoformat(), "until": LAST_DAY.isoformat()}
        t0 = time.perf_counter()
        computing = ("正在后台计算", "正在后台重新计算")  # new, or stale on a database measured before
        assert any(w in c.get("/calibration", params=fresh_period).text for w in computing)
        figures["healthz while computing"] = timed(lambda: c.get("/healthz"))
        while any(w in c.get("/calibration", params=fresh_period).text for w in computing) \
                and time.perf_counter() - t0 < 1800:
            time.sleep(2)
        background_s = round(time.perf_counter() - t0, 1)
        rss_end = _rss_kb(server.pid)
        peak = _peak_kb(server.pid)
    finally:
        server.terminate()
        server.wait(10)
    return {"cards on the day": int(count), "rss_start_mb": round(rss_start / 1024, 1),
            "rss_end_mb": round(rss_end / 1024, 1), "peak_rss_mb": round(peak / 1024, 1),
            "background calibration (7 days) s": background_s,
            "ms": {k: {"median": round(statistics.median(v), 1),
                       "p90": round(sorted(v)[int(len(v) * 0.9) - 1], 1)} for k, v in figures.items()}}


TARGETS = {"queue page, one day": 300, "reviewed → next": 300, "card page": 150, "calibration page": 1000,
           "KPI drill-down page": 1000, "healthz while computing": 1000}
MONTH_TARGET_MS, PEAK_TARGET_MB = 1000, 500


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--chats", type=int, default=100_000)
    p.add_argument("--days", type=int, default=30, help="days the chats are spread over (default 30)")
    p.add_argument("--base", type=int, default=2000, help="distinct chats graded for real (default 2000)")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--repeats", type=int, default=20)
    p.add_argument("--label-every", type=int, default=100, help="review every N-th chat (default 100: 1 %%)")
    p.add_argument("--db", help="database (default bench/data/review-<chats>.db; kept and reused while it holds "
                                "--chats chats, so a re-measure does not reseed)")
    p.add_argument("--precompute", action="store_true",
                   help="precompute again on a reused database (its month facts stay where still fresh)")
    a = p.parse_args(argv)
    db = a.db or str(ROOT / "data" / f"review-{a.chats}.db")
    seconds = seed(db, a.chats, a.days, a.base, a.seed)
    if seconds:
        print(f"seeded {a.chats} graded chats in {seconds:.0f} s", file=sys.stderr)
    labelled = label(db, a.label_every)
    pre = None
    if labelled or a.precompute:  # a new database (or asked): what the daily run computes after grading
        print(f"reviewed {labelled} more chats with an override each; precomputing as after the daily run",
              file=sys.stderr)
        pre = precompute_child(db)
    result = {"chats": a.chats, "days": a.days, "precompute": pre, **measure(db, a.repeats, a.days)}
    print(f"{a.chats} graded chats over {a.days} days ({result['cards on the day']} on {LAST_DAY}); "
          f"median / p90 of {a.repeats}:")
    ok = True
    if pre:
        print(f"  after the daily run (its own process): {pre['seconds']}, {pre['total_s']} s, "
              f"peak {pre['peak_rss_mb']} MB")
    for name, v in result["ms"].items():
        target = TARGETS.get(name, MONTH_TARGET_MS if name.startswith("month page") else None)
        met = target is None or v["median"] < target
        ok &= met
        print(f"  {name:28s} {v['median']:7.1f} ms  {v['p90']:7.1f} ms" +
              (f"   target < {target} ms: {'met' if met else 'MISSED'}" if target else ""))
    print(f"  server memory: {result['rss_start_mb']} MB after start, {result['rss_end_mb']} MB after the requests, "
          f"peak {result['peak_rss_mb']} MB (target < {PEAK_TARGET_MB} MB: "
          f"{'met' if result['peak_rss_mb'] < PEAK_TARGET_MB else 'MISSED'})")
    print(f"  the server's background calibration of a new 7-day period took {result['background calibration (7 days) s']} s")
    ok &= result["peak_rss_mb"] < PEAK_TARGET_MB
    out = ROOT / "data" / f"review-{a.chats}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
