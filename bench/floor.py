"""The floor: reading and parsing the exports into the transcript model, on one core — the work
no grader can avoid, and all of it that `grader grade` shares with a plain read.

    python -m bench.floor bench/data/10k-s7            # read + parse
    python -m bench.floor bench/data/10k-s7 --jieba    # also jieba over every human agent message

Prints one JSON line: chats, CPU seconds of the reading thread (read, jieba, total), peak RSS.
(Before 2026-11-30 the floor always included jieba; grading itself segments only the runs around a few whole-word terms, well
under 1 % of a run, so that floor flattered the ratio.)
"""
from __future__ import annotations

import json
import resource
import sys
import time

from grader.transcript.reader import SetAside, iter_read


def floor(paths: list[str], jieba: bool = False) -> dict:
    if jieba:
        from grader.detectors.chat import words
        words("预热")  # load jieba's dictionary before the clock starts, as a worker does once
    chats = messages = 0
    read = segment = 0.0
    clock = time.thread_time()
    for item in iter_read(paths):
        now = time.thread_time()
        read += now - clock
        if not isinstance(item, SetAside):
            chats += 1
            if jieba:
                for m in item.messages:
                    if m.is_human_agent:
                        words(m.text)
                        messages += 1
        clock = time.thread_time()
        segment += clock - now
    return {"chats": chats, "agent_messages": messages, "seconds": round(read + segment, 2),
            "read": round(read, 2), "jieba": round(segment, 2),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}


if __name__ == "__main__":
    args = sys.argv[1:]
    print(json.dumps(floor([a for a in args if a != "--jieba"], jieba="--jieba" in args)))
