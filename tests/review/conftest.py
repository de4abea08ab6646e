"""A small review database: graded chats, a supervisor, a second supervisor and an agent."""
import re

import pytest

from grader.review.auth import add_user
from grader.store import Store
from tests.builders import transcript

PASSWORD = "secret-pass-1"
XSS = "<script>alert(1)</script>"
DAY = "2026-11-22"


def chats():
    return [
        transcript("c 10:00:00 在吗，这件衣服有优惠吗", "auto 10:00:01 您好，欢迎光临小店",
                   "a 10:00:15 您好，现在满200减30哦，请问您平时穿什么尺码", "c 10:01:00 M码，好的谢谢",
                   "a 10:01:20 不客气，请问还有什么可以帮您", id="t1"),
        transcript("c 11:00:00 我的快递三天没动了", "a 11:00:40 你等着吧", "c 11:02:00 ？？",
                   "a 11:03:00 你自己查", id="t2"),
        transcript(f"c 12:00:00 你好 {XSS} <img src=x onerror=alert(2)>", "a 12:00:05 您好，请问有什么可以帮您？",
                   "c 12:00:30 <b>粗体</b> & 谢谢", "a 12:00:40 不客气，感谢您的光临", id="t3"),
        transcript("c 13:00:00 在吗", "a2 13:00:08 您好，请问需要什么帮助", "c 13:00:30 没事了",
                   "a2 13:00:35 好的，谢谢您", id="t4"),
    ]


@pytest.fixture
def db(db_url, grader):
    path = db_url
    store = Store(path)
    store.save([(t, grader.grade(t)) for t in chats()])
    add_user(store, "主管甲", PASSWORD, "supervisor")
    add_user(store, "boss2", PASSWORD, "supervisor")
    add_user(store, "xiaomei", PASSWORD, "agent", agent_account="小店:小美")
    return path


@pytest.fixture
def store(db):
    return Store(db)


def changeable(store, transcript_id="t1"):
    """An item with more than one level on the chat's current scorecard, and a level it is not at."""
    card = store.current_scorecards([transcript_id])[transcript_id]
    item = next(i for i in card.items if len(i.levels) > 1)
    return item, next(v for v in item.levels if v != item.score)


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def revision_of(html: str) -> int:
    return int(re.search(r'name="revision" value="(\d+)"', html).group(1))


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: runs in a real headless Chromium (Playwright); runs by default")


def sure_card(grader, tid: str, scenario: str = "presale", certainty: float = 0.95, **update):
    """A chat and its card graded as `scenario` with nothing for a person to read: no item flagged,
    every item and the scenario `certainty` sure, no complaint, refund or red line; `update` then
    sets fields of the card (e.g. metrics, red_lines, needs_review)."""
    t = transcript("c 10:00:00 这件衣服有优惠吗", "a 10:00:15 您好，现在满200减30哦", "c 10:01:00 好的谢谢",
                   "a 10:01:20 不客气", id=tid)
    card = grader.grade(t, scenario=scenario)
    items = [i.model_copy(update={"needs_review": False, "confidence": certainty}) for i in card.items]
    metrics = {**card.metrics, "complaint_at": None, "refund_at": None}
    card = card.model_copy(update={"items": items, "needs_review": False, "scenario_confidence": certainty,
                                   "red_lines": [], "metrics": metrics, **update})
    return t, card


def gate_rows(rubric, trusted: set[str]):
    """Trust gate rows (`grader.calibration.trust.TrustRow`) for the scenario and every rubric item:
    trusted exactly for the ids in `trusted`."""
    from grader.calibration.trust import Interval, TrustRow

    ids = [("scenario", "场景（售前/售后）")] + [(i.id, i.label) for i in rubric.items]
    return [TrustRow(i, label, 30, Interval(1.0), Interval(None), 30, Interval(1.0, 0.9, 1.0), Interval(None),
                     "reference", i in trusted, "可批量接受" if i in trusted else f"{label}：测试里不可信")
            for i, label in ids]
