"""Reviewed chats built from templates with a seeded random, graded and labelled by a simulated supervisor.

The supervisor's rule is known: the agent told the customer about a promotion when it named a
real one (满减, 优惠券, 包邮, … — the lexicon finds these) or said "…立享…" (拍下立享九五折 —
the lexicon lacks it), and did NOT when it said "…不参加折扣" (the lexicon's 折扣 fires there
because 不参加 is not among its exclusions).
"""
from __future__ import annotations

import random
import shutil
from pathlib import Path

from sqlalchemy import select

from grader.pipeline import Grader
from grader.store import Store, now_iso, overrides, review_state, scorecards
from tests.builders import transcript

ITEM = "presale.promotion"
REPO_LEXICONS = Path(__file__).resolve().parents[2] / "grader" / "lexicons"

CUSTOMER = ["在吗", "这款还有货吗", "请问这个怎么卖", "能便宜点吗", "有什么活动吗", "质量怎么样", "几天能到"]
FILLER = ["您好，在的", "这款是纯棉面料，穿着很舒服", "今天下单明天就能发出", "尺码偏大一点，建议拍小一码",
          "颜色是实物拍摄的，色差很小", "拍下后尽快给您发货", "付款后立即安排发货", "有问题随时找我哦",
          "这款卖得很好，回头客很多", "洗的时候建议反面冷水洗"]
KNOWN = ["现在全店满300减30哦", "可以先领店铺优惠券再下单", "这款是包邮的", "今天下单有赠品",
         "这款可以参加折扣活动", "现在有店铺折扣，很划算", "这周满200减20"]
MISSED_PREFIX = ["拍下", "现在购买", "今天付款", "下单就", "亲，拍下"]
MISSED_SUFFIX = ["九五折", "专属价", "小礼物一份", "第二件九折"]
WRONG_PREFIX = ["这款暂时", "目前", "新品", "这个颜色"]
WRONG_SUFFIX = ["哦", "的", "呢", ""]

KINDS = {"known": True, "missed": True, "wrong": False, "none": False}  # kind -> supervisor gives the points


def key_phrase(kind: str, rnd: random.Random) -> str | None:
    if kind == "known":
        return rnd.choice(KNOWN)
    if kind == "missed":
        return f"{rnd.choice(MISSED_PREFIX)}立享{rnd.choice(MISSED_SUFFIX)}"
    if kind == "wrong":
        return f"{rnd.choice(WRONG_PREFIX)}不参加折扣{rnd.choice(WRONG_SUFFIX)}"
    return None


def make_chat(kind: str, rnd: random.Random, tid: str, day: str):
    agent = rnd.sample(FILLER, 3)
    phrase = key_phrase(kind, rnd)
    if phrase:
        agent.insert(rnd.randint(1, 2), phrase)
    lines = [f"c 10:00:00 {rnd.choice(CUSTOMER)}"]
    second = 5
    for k, text in enumerate(agent):
        if k == 2:
            lines.append(f"c 10:00:{second:02d} {rnd.choice(CUSTOMER)}")
            second += 3
        lines.append(f"a 10:00:{second:02d} {text}")
        second += 4
    return transcript(*lines, id=tid, day=day)


def copy_lexicons(tmp_path: Path) -> Path:
    target = tmp_path / "lexicons"
    shutil.copytree(REPO_LEXICONS, target, ignore=shutil.ignore_patterns("history", "CHANGELOG.md"))
    return target


def plan(counts: dict[str, int], rnd: random.Random) -> list[str]:
    kinds = [k for k, n in counts.items() for _ in range(n)]
    rnd.shuffle(kinds)
    return kinds


def build(store: Store, lexicons: Path, month: str, counts: dict[str, int], seed: int,
          prefix: str = "c", unreviewed_overrides: int = 0) -> list[tuple[str, str]]:
    """Grade the chats into `store`, then record the simulated supervisor's review.

    Returns (transcript id, kind) pairs. The last `unreviewed_overrides` chats with a
    disagreement get their override but no finished review.
    """
    rnd = random.Random(seed)
    grader = Grader(lexicons=lexicons)
    chats = []
    for n, kind in enumerate(plan(counts, rnd)):
        day = f"{month}-{1 + n % 28:02d}"
        t = make_chat(kind, rnd, f"{prefix}{n:03d}", day)
        chats.append((t, kind))
    store.save([(t, grader.grade(t, "presale")) for t, _ in chats])
    review(store, chats, unreviewed_overrides)
    return [(t.id, kind) for t, kind in chats]


def review(store: Store, chats, unreviewed_overrides: int = 0) -> None:
    ids = [t.id for t, _ in chats]
    cards = store.current_scorecards(ids)
    with store.engine.connect() as conn:
        sids = dict(conn.execute(select(scorecards.c.transcript_id, scorecards.c.id).where(
            scorecards.c.current.is_(True), scorecards.c.transcript_id.in_(ids))).all())
    disagreeing = [t.id for t, kind in chats if cards[t.id].item(ITEM).score != (5 if KINDS[kind] else 0)]
    skip_review = set(disagreeing[-unreviewed_overrides:]) if unreviewed_overrides else set()
    with store.engine.begin() as conn:
        for t, kind in chats:
            suggested = cards[t.id].item(ITEM).score
            truth = 5 if KINDS[kind] else 0
            if suggested != truth:
                conn.execute(overrides.insert().values(
                    transcript_id=t.id, scorecard_id=sids[t.id], item_id=ITEM, from_value=str(suggested),
                    to_value=str(truth), reason="主管复核", by="主管A", at=now_iso(), source="web"))
            if t.id not in skip_review:
                conn.execute(review_state.insert().values(
                    transcript_id=t.id, revision=1, reviewed=True, reviewed_by="主管A", reviewed_at=now_iso()))
