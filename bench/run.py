"""Benchmark: grading against the floor and the simple alternative, on one worker and on all cores.

    python -m bench.run --chats 10000            # 10k, 100k or 1000000
    python -m bench.run --chats 100000 --dask    # also the Dask engine (local cluster)

1. Generates (once, under bench/data/, from --seed) realistic chats of both scenarios,
   6–40 messages, as a mix of JSONL, Qianniu text and CSV files (see bench/generate.py).
2. Measures, in the same run, each in a fresh process:
   - the floor: reading and parsing the files into the transcript model, one core (bench/floor.py);
   - the simple alternative: a plain keyword script of the kind a shop writes (bench/keywords.py);
   - `grader grade DIR --date 2026-11-22 --db NEW.db --out DIR` end to end (files in, scorecards in
     the database and scorecards.jsonl out) with --workers 1 and --workers N (N = all cores),
     each with a fresh database;
   - the start-up of each (the same command on an empty folder), subtracted for "net" figures.
3. Prints per run: seconds, chats/s, CPU seconds of the whole process tree, CPU ms per chat (all,
   and net of start-up), ratios of net CPU to the floor's and to the keyword script's, peak RSS of
   the tree (sampled) and of its largest process, bytes per graded chat in the database and in
   scorecards.jsonl (database after a WAL checkpoint; then per table from dbstat), and the CPU ms
   per chat of each stage — read, detect, score, index (the review search's rows), write — from the
   run's own accounting (CPU time of the threads that did each, summed over workers);
4. the CPU cost of SQLite's secure_delete: the day re-graded into a copy of the 1-worker database
   with it on (as the grader runs) and off (`secure_delete_cost`, bench/secure_delete.py).
Results also go to bench/data/results-<chats>.json.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path

from bench.generate import DAY, GENERATOR_VERSION, generate

ROOT = Path(__file__).resolve().parent
STAGES = ("read", "detect", "score", "index", "write")  # grader.batch.RunCounts.seconds
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * PAGE_KB
    except (OSError, IndexError, ValueError):
        return 0


def _tree(root: int) -> list[int]:
    """`root` and all its descendants (from /proc/*/stat)."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            parents.setdefault(ppid, []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(parents.get(pid, []))
    return found


def measure(cmd: list[str], env: dict | None = None) -> dict:
    """Run `cmd`; wall seconds, CPU seconds, stdout, and peak RSS of its process tree (sum and largest)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    peak = {"tree": 0, "largest": 0}
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            sizes = [_rss_kb(p) for p in _tree(proc.pid)]
            peak["tree"] = max(peak["tree"], sum(sizes))
            peak["largest"] = max(peak["largest"], max(sizes, default=0))
            stop.wait(0.25)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    stop.set()
    sampler.join()
    if proc.returncode not in (0, 3):
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err[-3000:]}")
    return {"seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2), "stdout": out,
            "peak_rss_mb": round(peak["tree"] / 1024),
            "largest_rss_mb": round(peak["largest"] / 1024)}


def data_dir(chats: int, seed: int, base: Path) -> Path:
    folder = base / f"{chats}-s{seed}"
    manifest = folder / ".manifest.json"
    made = json.loads(manifest.read_text()) if manifest.is_file() else {}
    if made.get("chats") != chats or made.get("generator") != GENERATOR_VERSION:
        shutil.rmtree(folder, ignore_errors=True)
        t = time.perf_counter()
        generate(chats, folder, seed)
        print(f"generated {chats} chats in {folder} ({time.perf_counter() - t:.0f} s)", file=sys.stderr)
    return folder


def grade(folder: Path, work: Path, name: str, workers: int, engine: str = "processes") -> dict:
    out, db = work / name, work / f"{name}.db"
    shutil.rmtree(out, ignore_errors=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "grader.cli", "grade", str(folder), "--date", DAY, "--db", str(db),
           "--out", str(out), "--workers", str(workers), "--quiet"]
    if engine != "processes":
        cmd = [sys.executable, "-m", "bench.grade_engine", engine, *cmd[4:]]
    result = measure(cmd)
    counts = json.loads(result.pop("stdout").strip().splitlines()[-1])
    lines = sum(1 for _ in open(out / "scorecards.jsonl", encoding="utf-8"))
    assert lines == counts["graded"] + counts["unchanged"], (lines, counts)
    return {**result, "counts": counts, "storage": storage(db, out / "scorecards.jsonl", lines)}


def secure_delete_cost(folder: Path, work: Path, graded: Path) -> dict:
    """CPU seconds of re-grading the day into a copy of the 1-worker run's database (other service
    hours: every chat graded again, its earlier queue, search and facts rows deleted, its earlier
    scorecard kept as history) with SQLite's secure_delete on, as the grader runs, and off
    (bench/secure_delete.py); the difference is what zeroing deleted content costs."""
    out = {}
    for mode in ("on", "off"):
        db, files = work / f"regrade-{mode}.db", work / f"regrade-{mode}"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(graded, db)
        shutil.rmtree(files, ignore_errors=True)
        result = measure([sys.executable, "-m", "bench.secure_delete", mode, str(folder), "--date", DAY, "--db",
                          str(db), "--out", str(files), "--workers", "1", "--quiet", "--service-hours", "09:00-22:00",
                          "--no-precompute"])
        out[mode] = {"cpu_seconds": result["cpu_seconds"], "seconds": result["seconds"],
                     "graded": json.loads(result["stdout"].strip().splitlines()[-1])["graded"]}
    return out


def storage(db: Path, jsonl: Path, chats: int) -> dict:
    """Bytes per chat in the SQLite database (whole file, and per table with its indexes) and scorecards.jsonl."""
    import sqlite3
    conn = sqlite3.connect(db)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        tables = dict(conn.execute("SELECT coalesce(tbl_name, d.name), sum(pgsize) FROM dbstat d "
                                   "LEFT JOIN sqlite_schema s ON s.name = d.name GROUP BY 1").fetchall())
    finally:
        conn.close()
    per = max(chats, 1)
    return {"db_bytes_per_chat": round(db.stat().st_size / per), "jsonl_bytes_per_chat": round(jsonl.stat().st_size / per),
            "db_tables_per_chat": {k: round(v / per) for k, v in sorted(tables.items(), key=lambda kv: -kv[1])
                                   if v / per >= 10}}


def startup(cmd: list[str], work: Path) -> float:
    """CPU seconds of `cmd` on an empty folder: the interpreter and imports (a grader loads its
    lexicons and jieba's dictionary with its first part, so those count as grading)."""
    empty = work / "empty"
    shutil.rmtree(empty, ignore_errors=True)
    empty.mkdir(parents=True)
    return measure([a if a != "FOLDER" else str(empty) for a in cmd])["cpu_seconds"]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--chats", type=int, default=10_000, help="chats to generate and grade (10000, 100000, 1000000)")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--data", default=str(ROOT / "data"), help="folder for generated data and results (gitignored)")
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="workers for the all-cores run")
    p.add_argument("--dask", action="store_true", help="also grade with --engine dask (local cluster)")
    p.add_argument("--skip-one", action="store_true", help="skip the one-worker run (long at 1M)")
    a = p.parse_args(argv)

    base = Path(a.data)
    folder = data_dir(a.chats, a.seed, base)
    work = base / f"work-{a.chats}"
    work.mkdir(parents=True, exist_ok=True)

    floor = measure([sys.executable, "-m", "bench.floor", str(folder)])
    floor.update(json.loads(floor.pop("stdout")))
    floor["startup_cpu"] = startup([sys.executable, "-m", "bench.floor", "FOLDER"], work)
    keywords = measure([sys.executable, "-m", "bench.keywords", str(folder), "--out", str(work / "keywords.csv")])
    keywords.update(json.loads(keywords.pop("stdout")))
    keywords["startup_cpu"] = startup([sys.executable, "-m", "bench.keywords", "FOLDER", "--out",
                                       str(work / "keywords-empty.csv")], work)
    grade_startup = startup([sys.executable, "-m", "grader.cli", "grade", "FOLDER", "--date", DAY, "--db",
                             str(work / "empty.db"), "--out", str(work / "empty-out"), "--workers", "1", "--quiet"], work)
    runs = {}
    if not a.skip_one:
        runs["grade, 1 worker"] = grade(folder, work, "one", 1)
    runs[f"grade, {a.workers} workers"] = grade(folder, work, "all", a.workers)
    if a.dask:
        runs[f"grade, dask {a.workers} workers"] = grade(folder, work, "dask", a.workers, "dask")
    for r in runs.values():
        r["startup_cpu"] = grade_startup

    def net_ms(r: dict) -> float:  # CPU ms per chat read, net of start-up
        return 1000 * max(r["cpu_seconds"] - r["startup_cpu"], 0) / a.chats

    floor_ms, keywords_ms = net_ms(floor), net_ms(keywords)
    cores = os.cpu_count()
    print(f"\nbenchmark {date.today()} · {a.chats} chats (seed {a.seed}) · {cores} cores · "
          f"python -m bench.run --chats {a.chats}")
    print(f"{'run':<24}{'seconds':>8}{'chats/s':>8}{'CPU s':>8}{'start-up':>9}{'CPU ms/chat':>12}{'net':>7}"
          f"{'×floor':>7}{'×keywords':>10}{'RSS tree/largest MB':>21}{'DB B/chat':>10}{'jsonl B/chat':>13}")
    rows = [("floor (read+parse)", floor), ("keyword script", keywords), *runs.items()]
    for name, r in rows:
        ms = net_ms(r)
        print(f"{name:<24}{r['seconds']:>8}{a.chats / r['seconds']:>8.0f}{r['cpu_seconds']:>8}{r['startup_cpu']:>9}"
              f"{1000 * r['cpu_seconds'] / a.chats:>12.3f}{ms:>7.3f}{ms / floor_ms:>7.1f}{ms / keywords_ms:>10.1f}"
              f"{str(r['peak_rss_mb']) + ' / ' + str(r['largest_rss_mb']):>21}"
              f"{r.get('storage', {}).get('db_bytes_per_chat', ''):>10}{r.get('storage', {}).get('jsonl_bytes_per_chat', ''):>13}")
    print("chats/s and ms/chat count every chat read (graded + out of the day's range); CPU s = user+sys of the\n"
          "whole process tree; start-up = CPU s of the same command on an empty folder; net = CPU ms/chat less\n"
          "start-up; ×floor, ×keywords = net CPU ÷ the floor's and the keyword script's net CPU (same run).")
    if a.workers > 1 and "grade, 1 worker" in runs:
        one, many = runs["grade, 1 worker"], runs[f"grade, {a.workers} workers"]
        print(f"scaling: {a.workers} workers {one['seconds'] / many['seconds']:.2f}× the chats/s of one "
              f"(wall; meaningful only on an otherwise idle machine), at {net_ms(many) / net_ms(one):.2f}× its net CPU")
    print(f"\nstages, CPU ms per chat read (the run's own accounting){'':4}" + "".join(f"{s:>9}" for s in (*STAGES, "sum")))
    print(f"{'floor (read+parse)':<60}{1000 * floor['read'] / a.chats:>9.3f}")
    for name, r in runs.items():
        per = [1000 * r["counts"]["seconds"].get(s, 0) / a.chats for s in STAGES]
        print(f"{name:<60}" + "".join(f"{v:>9.3f}" for v in (*per, sum(per))))
    print("\nstorage per graded chat (targets: database ≤ 4096 B including the transcript, scorecards.jsonl ≤ 6144 B)")
    for name, r in runs.items():
        st = r["storage"]
        parts = ", ".join(f"{k} {v}" for k, v in st["db_tables_per_chat"].items())
        print(f"{name:<28}database {st['db_bytes_per_chat']:>6} B   scorecards.jsonl {st['jsonl_bytes_per_chat']:>6} B"
              f"   ({parts})")
    secure = None
    if "grade, 1 worker" in runs:
        runs["grade, 1 worker"]["db"] = str(work / "one.db")
        secure = secure_delete_cost(folder, work, work / "one.db")
        on, off = secure["on"], secure["off"]
        print(f"\nsecure_delete (re-grading the day's {on['graded']} chats into the 1-worker database, other "
              f"service hours): CPU {on['cpu_seconds']} s with it, {off['cpu_seconds']} s without — "
              f"{1000 * (on['cpu_seconds'] - off['cpu_seconds']) / max(on['graded'], 1):+.3f} ms per chat, "
              f"{on['cpu_seconds'] / max(off['cpu_seconds'], 0.01):.3f}× (same run; wall {on['seconds']} s / {off['seconds']} s)")
    (base / f"results-{a.chats}.json").write_text(json.dumps(
        {"date": str(date.today()), "chats": a.chats, "seed": a.seed, "cores": cores, "floor": floor,
         "keywords": keywords, "runs": runs, "secure_delete": secure, "net_cpu_ms_per_chat": {
             "floor": floor_ms, "keywords": keywords_ms, **{n: net_ms(r) for n, r in runs.items()}}},
        indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
