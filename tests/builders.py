"""Build small transcripts for detector tables from compact lines.

Each line is "ROLE HH:MM:SS text" where ROLE is c (customer), a (human agent), auto (agent
auto-reply) or s (system); an optional date prefix "2026-11-22 " may precede the time. A bare
"ROLE text" without time gives a message with no timestamp.
"""
import re
from datetime import datetime

from grader.detectors.chat import Chat
from grader.transcript.model import SHANGHAI, Message, Transcript

ROLES = {"c": ("customer", "tb123456", False), "a": ("agent", "小店:小美", False),
         "auto": ("agent", "小店:小美", True), "s": ("system", "system", False),
         "a2": ("agent", "小店:小王", False)}
LINE = re.compile(r"^(c|a2|auto|a|s)\s+(?:(\d{4}-\d{2}-\d{2})\s+)?(?:(\d{1,2}:\d{2}:\d{2})\s+)?(.*)$")


def transcript(*lines: str, day: str = "2026-11-22", id: str = "t1") -> Transcript:
    messages = []
    for i, line in enumerate(lines):
        m = LINE.match(line)
        if not m:
            raise ValueError(f"bad test line {line!r}")
        role, sender, auto = ROLES[m.group(1)]
        time = None
        if m.group(3):
            time = datetime.fromisoformat(f"{m.group(2) or day} {m.group(3).zfill(8)}").replace(tzinfo=SHANGHAI)
        messages.append(Message(index=i, time=time, sender=sender, role=role, text=m.group(4), auto_reply=auto))
    return Transcript(id=id, platform="taobao", shop="小店", messages=messages).normalize()


def chat(*lines: str, **kw) -> Chat:
    return Chat(transcript(*lines, **kw))


def measure(detector_cls, lexicons, c: Chat):
    """`detector_cls`'s measurements of chat `c`, after every detector it consumes ran (as the
    pipeline runs them)."""
    from grader.detectors import REGISTRY
    from grader.detectors.base import in_order, measure as run

    run(in_order([cls(lexicons) for cls in REGISTRY.values()]), c)
    return [c.measured[item] for item in detector_cls.items]
