"""The floor: the work no grader can avoid, on one core.

Read the files, parse them into the transcript model and run jieba over every human agent
message — nothing else. Prints one JSON line: chats, seconds (read, jieba, total), peak RSS.

    python -m bench.floor bench/data/10k-s7
"""
from __future__ import annotations

import json
import resource
import sys
import time

from grader.detectors.chat import words
from grader.transcript.reader import SetAside, iter_read


def floor(paths: list[str]) -> dict:
    words("预热")  # load jieba's dictionary before the clock starts, as a worker does once
    chats = messages = 0
    read = segment = 0.0
    clock = time.perf_counter()
    for item in iter_read(paths):
        now = time.perf_counter()
        read += now - clock
        if not isinstance(item, SetAside):
            chats += 1
            for m in item.messages:
                if m.is_human_agent:
                    words(m.text)
                    messages += 1
        clock = time.perf_counter()
        segment += clock - now
    return {"chats": chats, "agent_messages": messages, "seconds": round(read + segment, 2),
            "read": round(read, 2), "jieba": round(segment, 2),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}


if __name__ == "__main__":
    print(json.dumps(floor(sys.argv[1:])))
