"""Benchmark: grading against the floor, on one worker and on all cores.

    python -m bench.run --chats 10000            # 10k, 100k or 1000000
    python -m bench.run --chats 100000 --dask    # also the Dask engine (local cluster)

1. Generates (once, under bench/data/, from --seed) realistic chats of both scenarios,
   6–40 messages, as a mix of JSONL, Qianniu text and CSV files (see bench/generate.py).
2. Measures the floor: reading + parsing + jieba over every human agent message, one core.
3. Runs `grader grade DIR --date 2026-11-22 --db NEW.db --out DIR` end to end (files in,
   scorecards in the database and scorecards.jsonl out) with --workers 1 and --workers N
   (N = all cores), each in a fresh process and a fresh database.
4. Prints chats/second, the ratio grade/floor (wall time, and CPU time of the whole process
   tree, which other load on the machine disturbs less), the peak RSS of the whole process tree (sampled) and of the largest process,
   and how the work splits across read / detect / score / write (seconds of work, summed over
   workers; from the run's own accounting).
5. Prints the storage per graded chat: bytes of the SQLite database (after a WAL checkpoint; per
   table from dbstat) and of scorecards.jsonl.
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
    floor_cpu = floor["cpu_seconds"]  # the process's, startup and jieba's dictionary included
    floor.update(json.loads(floor.pop("stdout")))
    runs = {}
    if not a.skip_one:
        runs["grade, 1 worker"] = grade(folder, work, "one", 1)
    runs[f"grade, {a.workers} workers"] = grade(folder, work, "all", a.workers)
    if a.dask:
        runs[f"grade, dask {a.workers} workers"] = grade(folder, work, "dask", a.workers, "dask")

    cores = os.cpu_count()
    print(f"\nbenchmark {date.today()} · {a.chats} chats (seed {a.seed}) · {cores} cores · "
          f"python -m bench.run --chats {a.chats}")
    print(f"{'run':<28}{'seconds':>9}{'chats/s':>9}{'×floor':>8}{'CPU s':>8}{'CPU×floor':>10}{'RSS tree MB':>13}"
          f"{'largest MB':>12}   read / detect / score / write (s of work)")
    print(f"{'floor (read+jieba, 1 core)':<28}{floor['seconds']:>9}{floor['chats'] / floor['seconds']:>9.0f}"
          f"{1:>8.2f}{floor_cpu:>8}{1:>10.2f}{floor['peak_rss_mb']:>13}{floor['largest_rss_mb']:>12}   "
          f"read {floor['read']} / jieba {floor['jieba']}")
    floor_wall = floor["seconds"]
    for name, r in runs.items():
        s = r["counts"]["seconds"]
        graded = r["counts"]["read"]
        print(f"{name:<28}{r['seconds']:>9}{graded / r['seconds']:>9.0f}{r['seconds'] / floor_wall:>8.2f}"
              f"{r['cpu_seconds']:>8}{r['cpu_seconds'] / floor_cpu:>10.2f}{r['peak_rss_mb']:>13}{r['largest_rss_mb']:>12}   "
              f"{s['read']} / {s['detect']} / {s['score']} / {s['write']}")
    print("chats/s counts every chat read (graded + out of the day's range); ×floor = wall time ÷ floor time;\n"
          "CPU s = user+sys of the whole process tree (less sensitive to other load on the machine)")
    print("\nstorage per graded chat (targets: database ≤ 4096 B including the transcript, scorecards.jsonl ≤ 6144 B)")
    for name, r in runs.items():
        st = r["storage"]
        parts = ", ".join(f"{k} {v}" for k, v in st["db_tables_per_chat"].items())
        print(f"{name:<28}database {st['db_bytes_per_chat']:>6} B   scorecards.jsonl {st['jsonl_bytes_per_chat']:>6} B"
              f"   ({parts})")
    (base / f"results-{a.chats}.json").write_text(json.dumps(
        {"date": str(date.today()), "chats": a.chats, "seed": a.seed, "cores": cores, "floor": floor, "runs": runs},
        indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
