"""Trust gates: per item, the tool's agreement with supervisors beside supervisors' agreement with
each other; an item whose tool agreement reaches the human interval is trusted (may be bulk-accepted).

Tool side: pairs (suggested, supervisor's) from reviews and overrides (`labels.POLICY`) and from
calibration sessions (each rater's score against the tool's); for the scenario row, the scenario
changes and finished reviews (`labels.scenario_labels`). Bulk accepts are never pairs. Human side: pairs of raters who scored
the same chat in calibration sessions; where a shop has none yet, the reference figures of
`human_agreement.toml` (labellers of the real JD chats, LABELS.md).

Both sides get the exact-agreement share with its 95 % Wilson interval and Cohen's kappa with a
95 % bootstrap interval (resampled by pair, `ROUNDS` rounds, seeded; `kappa_interval`). Gate (`gate`): at least
`MIN_LABELS` tool pairs and as many human ones, the tool's share at least the lower end of the human share's interval and,
where both kappas are known, the tool's kappa at least the lower end of the human kappa's interval.
"""
from __future__ import annotations

import math
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from grader.calibration.agreement import kappa

REFERENCE = Path(__file__).with_name("human_agreement.toml")
MIN_LABELS = 20
ROUNDS = 1000
Z = 1.959964


@dataclass
class Interval:
    """A figure with its 95 % interval; `value` None when it is undefined (no pairs, or one level only)."""

    value: float | None
    low: float | None = None
    high: float | None = None


def wilson(agree: int, n: int) -> Interval:
    """The share agree/n with its 95 % Wilson score interval."""
    if n <= 0:
        return Interval(None)
    p = agree / n
    centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n)) / (1 + Z * Z / n)
    return Interval(round(p, 4), round(max(0.0, centre - half), 4), round(min(1.0, centre + half), 4))


def kappa_interval(pairs: list[tuple[int, int]], rounds: int = ROUNDS, seed: int = 0) -> Interval:
    """Cohen's kappa of (a, b) pairs with a 95 % percentile bootstrap interval (undefined resamples,
    one level only on both sides, are left out of the interval).

    A resample of the n pairs is drawn as how often each distinct pair comes up (multinomial over
    the distinct pairs with their shares: the same distribution as n draws with replacement), so a
    round costs the few distinct pairs, not n draws: milliseconds for thousands of labels."""
    import numpy as np

    point = kappa([a for a, _ in pairs], [b for _, b in pairs])
    if point is None:
        return Interval(None)
    distinct = Counter(pairs)
    kinds = list(distinct)
    n = len(pairs)
    counts = np.random.default_rng(seed).multinomial(n, [distinct[k] / n for k in kinds], size=rounds)
    levels = sorted({x for k in kinds for x in k})
    left = np.array([[a == level for level in levels] for a, _ in kinds], dtype=float)
    right = np.array([[b == level for level in levels] for _, b in kinds], dtype=float)
    observed = counts @ np.array([a == b for a, b in kinds], dtype=float) / n
    left_share, right_share = counts @ left / n, counts @ right / n
    expected = (left_share * right_share).sum(axis=1)
    defined = (((left_share + right_share) > 0).sum(axis=1) >= 2) & (expected < 1)
    draws = np.sort(np.round((observed[defined] - expected[defined]) / (1 - expected[defined]), 3))
    if not len(draws):
        return Interval(point)
    return Interval(point, round(float(draws[int(0.025 * (len(draws) - 1))]), 3),
                    round(float(draws[int(0.975 * (len(draws) - 1))]), 3))


@dataclass
class TrustRow:
    item: str
    label: str
    tool_n: int
    tool_agreement: Interval
    tool_kappa: Interval
    human_n: int
    human_agreement: Interval
    human_kappa: Interval
    human_source: str          # sessions | reference | none
    trusted: bool
    reason: str                # Chinese, for the supervisor
    sources: dict = field(default_factory=dict)  # where the tool's pairs came from: {"reviews": n, "sessions": n}


def load_reference(path: str | Path | None = None) -> dict[str, dict]:
    """item -> {"agree": k, "n": n, "source": "..."} of the human reference figures."""
    with open(path or REFERENCE, "rb") as fh:
        data = tomllib.load(fh)
    return {k: v for k, v in data.get("items", {}).items() if v.get("n")}


def gate(tool_n: int, tool_share: Interval, tool_kappa: Interval, human_share: Interval,
         human_kappa: Interval, human_n: int = MIN_LABELS) -> tuple[bool, str]:
    """(trusted, why) by the rule of the module docstring."""
    if tool_n < MIN_LABELS:
        return False, f"标签不足 {MIN_LABELS} 个（现有 {tool_n}），暂不判断"
    if human_share.value is None:
        return False, "没有主管之间的一致率可比"
    if human_n < MIN_LABELS:
        return False, f"主管之间的一致率只有 {human_n} 对，不足 {MIN_LABELS} 对，暂不判断"
    if tool_share.value < human_share.low:
        return False, f"工具一致率 {tool_share.value:.0%} 低于主管之间一致率的区间下限 {human_share.low:.0%}"
    if tool_kappa.value is not None and human_kappa.low is not None and tool_kappa.value < human_kappa.low:
        return False, f"工具 Kappa {tool_kappa.value:.2f} 低于主管之间 Kappa 的区间下限 {human_kappa.low:.2f}"
    return True, f"工具一致率 {tool_share.value:.0%} 在主管之间一致率的区间内（下限 {human_share.low:.0%}），可批量接受"


def trust_table(items: list[tuple[str, str]], tool: dict[str, list[tuple[int, int]]],
                human: dict[str, list[tuple[int, int]]], reference: dict[str, dict] | None = None,
                sources: dict[str, dict] | None = None, seed: int = 0, rounds: int = ROUNDS) -> list[TrustRow]:
    """One row per (item id, label) of `items` that has tool pairs or a human figure.

    `tool`: item -> (suggested, supervisor's) pairs; `human`: item -> (rater, rater) pairs;
    `reference`: `load_reference()` by default, used for an item without human pairs. `rounds`: of the
    tool kappa's bootstrap (0: its point only, all the gate reads; the human kappa keeps `ROUNDS`)."""
    reference = load_reference() if reference is None else reference
    rows = []
    for item_id, label in items:
        t = tool.get(item_id, [])
        h = human.get(item_id, [])
        ref = reference.get(item_id)
        if not t and not h and not ref:
            continue
        t_share = wilson(sum(a == b for a, b in t), len(t))
        t_kappa = (kappa_interval(t, rounds, seed) if rounds else _kappa_point(t)) if t else Interval(None)
        if h:
            h_share, h_kappa, h_n, source = wilson(sum(a == b for a, b in h), len(h)), kappa_interval(h, seed=seed), \
                len(h), "sessions"
        elif ref:
            h_share, h_kappa, h_n, source = wilson(int(ref["agree"]), int(ref["n"])), Interval(None), int(ref["n"]), \
                "reference"
        else:
            h_share, h_kappa, h_n, source = Interval(None), Interval(None), 0, "none"
        trusted, why = gate(len(t), t_share, t_kappa, h_share, h_kappa, h_n)
        rows.append(TrustRow(item_id, label, len(t), t_share, t_kappa, h_n, h_share, h_kappa, source, trusted, why,
                             (sources or {}).get(item_id, {})))
    return rows


def _kappa_point(pairs: list[tuple[int, int]]) -> Interval:
    return Interval(kappa([a for a, _ in pairs], [b for _, b in pairs]))


def trusted_items(rows: list[TrustRow]) -> set[str]:
    return {r.item for r in rows if r.trusted}


SCENARIO_CODES = {"presale": 0, "aftersale": 1}  # the scenario row's two levels, for kappa


def from_store(store, labeled, rubric, seed: int = 0, scenarios: list[tuple[str, str, str]] = (),
               rounds: int = ROUNDS) -> list[TrustRow]:
    """The trust table of a store: tool pairs from `labeled` chats (`labels.load_labeled`) and every
    calibration session's scores; human pairs from the sessions' raters. The scenario row: `scenarios`
    (`labels.scenario_labels`: transcript id, tool's, supervisor's) against the reference figure
    (sessions score items only). `rounds`: see `trust_table`."""
    tool: dict[str, list] = {}
    counts: dict[str, dict] = {}
    for _, suggested, final in scenarios:
        if suggested in SCENARIO_CODES and final in SCENARIO_CODES:
            tool.setdefault("scenario", []).append((SCENARIO_CODES[suggested], SCENARIO_CODES[final]))
            counts.setdefault("scenario", {"reviews": 0, "sessions": 0})["reviews"] += 1
    _add_reviews(labeled, tool, counts)
    human = _add_sessions(store, tool, counts)
    items = [("scenario", "场景（售前/售后）")] + [(i.id, i.label) for i in rubric.items]
    return trust_table(items, tool, human, sources=counts, seed=seed, rounds=rounds)


def _add_reviews(labeled, tool: dict, counts: dict) -> None:
    """Add the (suggested, final) pairs of reviewed and overridden items to `tool`, counted in `counts`."""
    for chat in labeled:
        suggested = {i.id: i.score for i in chat.card.items}
        for item_id, final in chat.final.items():
            if item_id in suggested:
                tool.setdefault(item_id, []).append((suggested[item_id], final))
                c = counts.setdefault(item_id, {"reviews": 0, "sessions": 0})
                c["reviews"] += 1


def _add_sessions(store, tool: dict, counts: dict) -> dict[str, list]:
    """Add every calibration session rater's (suggested, given) pairs to `tool`; returns the raters'
    (rater, rater) pairs per item."""
    from itertools import combinations

    from grader.calibration import sessions as cs

    human: dict[str, list] = {}
    for session in cs.list_sessions(store):
        scores = cs.scores_of(store, session["id"])
        by_chat: dict[str, dict[str, dict[str, int]]] = {}
        for s in scores:
            by_chat.setdefault(s["transcript_id"], {}).setdefault(s["item_id"], {})[s["rater"]] = s["score"]
        cards = store.current_scorecards(list(by_chat))
        for tid, items in by_chat.items():
            suggested = {i.id: i.score for i in cards[tid].items} if tid in cards else {}
            for item_id, given in items.items():
                for a, b in combinations(sorted(given), 2):
                    human.setdefault(item_id, []).append((given[a], given[b]))
                if item_id in suggested:
                    tool.setdefault(item_id, []).extend((suggested[item_id], v) for v in given.values())
                    c = counts.setdefault(item_id, {"reviews": 0, "sessions": 0})
                    c["sessions"] += len(given)
    return human


SOURCE_LABELS = {"sessions": "校准练习（主管互评）", "reference": "参考：真实京东会话两位标注员（LABELS.md）", "none": "—"}


def interval_text(i: Interval, share: bool = True) -> str:
    """"83%（70%～91%）" or "0.61（0.40～0.78）"; "—" when undefined."""
    if i.value is None:
        return "—"
    f = (lambda v: f"{v:.0%}") if share else (lambda v: f"{v:.2f}")
    return f(i.value) + (f"（{f(i.low)}～{f(i.high)}）" if i.low is not None else "")
