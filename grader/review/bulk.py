"""Bulk accept behind the trust gates (issue 23): the one set of rules the queue page and `grader accept` share.

A card may be accepted unread only when nothing says a person must read it and the tool is trusted on
all of it (`plan`):

* it is not reviewed yet and is in the review budget's rest (`grader.store.queue`): no red line,
  complaint, refund or flagged item, not in the random sample (the sample measures agreement without
  bias, so it is always read), no override begun;
* the tool's certainty is at least the floor (`MIN_CERTAINTY`, or a higher one asked for);
* its scenario, and every item of that scenario's card, is trusted (`grader.calibration.trust`: the
  tool's agreement with this database's supervisors within their agreement with each other, from the
  reviews, overrides and calibration sessions of all dates).

Each accepted card is marked reviewed one by one as a single accept is (who and when in
`review_state` and the audit log), flagged as a bulk accept, so it never becomes a label: the tool
does not earn trust from cards nobody read.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

from grader.review.overrides import ReviewError, mark_reviewed
from grader.rubric import SCENARIO_LABELS
from grader.store import Store
from grader.store.queue import LEFT_REASONS, QueueQuery

MIN_CERTAINTY = 0.8  # bulk accept never takes a card the tool is less sure of
MAX_CARDS = 500      # per bulk accept
LEFT_LABELS = {"red_line": "命中红线", "complaint": "买家投诉", "refund": "买家要退款/退货", "flagged": "有需复核的项目",
               "sampled": "随机抽查（用来无偏地测量一致率，必须有人看）", "overridden": "已有改分、复核还没完成",
               "unsure": "把握低于 {floor}", "untrusted": "场景或项目未获信任（见下）"}


@dataclass
class Untrusted:
    """A gate row that keeps cards from bulk accept: the item (or "scenario"), its label, why (Chinese)."""

    item: str
    label: str
    reason: str


@dataclass
class BulkPlan:
    """What a bulk accept of a queue filter would do.

    `accept`: the cards it takes, queue order (at most the limit; `eligible` counts them all);
    `left`: unreviewed cards left for a person by their first reason (`LEFT_REASONS` order, none zero);
    `gates`: per scenario, its scenario and items that are not trusted (empty: its cards may be accepted)."""

    floor: float
    accept: list[str]
    eligible: int
    left: dict[str, int]
    gates: dict[str, list[Untrusted]] = field(default_factory=dict)

    @property
    def trusted_scenarios(self) -> list[str]:
        return [s for s, rows in self.gates.items() if not rows]

    @property
    def left_total(self) -> int:
        return sum(self.left.values())


def scenario_gates(rows, rubric) -> dict[str, list[Untrusted]]:
    """Per scenario (rubric order of `SCENARIO_LABELS`), the scenario row and the rows of the items of its
    card (`rubric.items_for`) that are not trusted in `rows` (`trust.TrustRow`s); an item without a row
    is not trusted (no label and no reference figure)."""
    by_id = {r.item: r for r in rows}
    labels = {"scenario": "场景（售前/售后）", **{i.id: i.label for i in rubric.items}}
    gates = {}
    for scenario in SCENARIO_LABELS:
        needed = ["scenario"] + [i.id for i in rubric.items_for(scenario)]
        gates[scenario] = [Untrusted(i, labels[i], by_id[i].reason if i in by_id else "还没有任何标签，也没有参考数字")
                           for i in needed if not (i in by_id and by_id[i].trusted)]
    return gates


_computed: dict = {}  # the last trust table per database, by what it was computed from (`Store.labels_stamp`)


def trust_rows(store: Store, rubric, tz=None) -> list:
    """The database's trust gates over all dates (as the calibration page's table, without the tool
    kappa's bootstrap interval, which the gate does not read). Scores only are decoded, about 1.4 ms
    CPU a labelled chat; kept until the labels change, so a preview and its accept compute it once."""
    from grader.calibration import trust_of
    from grader.calibration.labels import load_labeled

    key = (store.labels_stamp(), rubric.version_tag, str(tz))
    if _computed.get(store.url, (None,))[0] != key:
        labeled = load_labeled(store, None, None, tz, texts=False) if tz else load_labeled(store, None, None,
                                                                                         texts=False)
        _computed[store.url] = (key, trust_of(store, None, None, labeled, rubric, tz, rounds=0))
    return _computed[store.url][1]


def floor_of(asked) -> float:
    """The certainty floor asked for (a share, "" or None for the default), never below `MIN_CERTAINTY`."""
    try:
        return max(MIN_CERTAINTY, min(1.0, float(asked))) if asked not in (None, "") else MIN_CERTAINTY
    except ValueError:
        return MIN_CERTAINTY


def plan(store: Store, query: QueueQuery, rubric, rows, floor: float = MIN_CERTAINTY,
         limit: int = MAX_CARDS) -> BulkPlan:
    """The bulk accept of the queue's `query` (reviewed or not: only unreviewed cards count) under the
    trust gates `rows` (`trust_rows`)."""
    gates = scenario_gates(rows, rubric)
    trusted = [s for s, g in gates.items() if not g]
    query = replace(query, reviewed=False)
    split = store.bulk_split(query, floor, trusted)
    accept = store.bulk_ids(query, limit, floor, trusted) if split.get("") else []
    left = {r: split[r] for r in LEFT_REASONS if split.get(r)}
    return BulkPlan(floor, accept, split.get("", 0), left, gates)


def accept(store: Store, bulk: BulkPlan, by: str) -> tuple[list[str], list[str]]:
    """Mark the plan's cards reviewed by `by`, each as a bulk accept; (accepted, refused) transcript ids
    (refused: re-graded, changed or gone meanwhile)."""
    done, refused = [], []
    for tid in bulk.accept:
        try:
            mark_reviewed(store, tid, by, None, reviewed=True, bulk=True)
            done.append(tid)
        except ReviewError:
            refused.append(tid)
    return done, refused


def left_lines(bulk: BulkPlan) -> list[str]:
    """Which cards are left for a person and why, and which scenario or items are not trusted (Chinese)."""
    lines = []
    if bulk.left:
        parts = [f"{LEFT_LABELS[r].format(floor=f'{bulk.floor:.0%}')} {n} 张" for r, n in bulk.left.items()]
        lines.append(f"留给人工复核 {bulk.left_total} 张：" + "；".join(parts))
    for scenario, untrusted in bulk.gates.items():
        if untrusted:
            by_reason: dict[str, list[str]] = {}
            for u in untrusted:
                by_reason.setdefault(u.reason, []).append(u.label)
            lines.append(f"{SCENARIO_LABELS[scenario]}的评分卡不能批量接受，未获信任：" + "；".join(
                f"{'、'.join(labels)}（{reason}）" for reason, labels in by_reason.items()))
    return lines


def plan_lines(bulk: BulkPlan, done: int | None = None, refused: list[str] = ()) -> list[str]:
    """The plan (or, with `done`, its result) in Chinese, one line per fact."""
    if done is None:
        head = f"可以批量接受 {bulk.eligible} 张评分卡（把握不低于 {bulk.floor:.0%}，场景和所有项目都已获信任）"
        if bulk.eligible > len(bulk.accept):
            head += f"，这次接受前 {len(bulk.accept)} 张"
    else:
        head = f"已批量接受 {done} 张评分卡（把握不低于 {bulk.floor:.0%}，场景和所有项目都已获信任），每张都记录了复核人和时间"
        if refused:
            head += f"；{len(refused)} 张刚被修改或重新评分，没有接受：{'、'.join(refused[:5])}"
    return [head] + left_lines(bulk)
