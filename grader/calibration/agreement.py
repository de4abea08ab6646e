"""How often the suggested scores equal the supervisors' final ones, per item and overall."""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from grader.calibration.labels import POLICY, LabeledChat, load_labeled
from grader.rubric import Rubric, load_rubric
from grader.scorecard.final import final_card
from grader.scorecard.model import ItemScore
from grader.store import Store
from grader.transcript.model import Transcript


@dataclass
class Quote:
    transcript_id: str
    text: str


@dataclass
class TermInvolvement:
    """A detector finding (a lexicon term, or a detector without terms) seen in disagreements."""

    kind: str            # false_positive (fired, points removed) | excluded_in_false_negative
    detector: str
    lexicon: str | None
    term: str | None
    chats: int
    examples: list[Quote] = field(default_factory=list)


@dataclass
class ItemAgreement:
    item: str
    label: str
    levels: list[int]
    n: int = 0
    agree: int = 0
    agreement: float | None = None
    kappa: float | None = None
    mean_abs_diff: float | None = None
    confusion: list[list[int]] = field(default_factory=list)  # rows: suggested level, columns: final level
    false_positives: int = 0   # suggested more than the supervisor gave
    false_negatives: int = 0   # suggested less than the supervisor gave
    overridden: int = 0
    no_term_false_negatives: int = 0  # points given though no lexicon term fired
    terms: list[TermInvolvement] = field(default_factory=list)
    detectors: dict[str, int] = field(default_factory=dict)  # detector -> disagreements it took part in


@dataclass
class AgreementReport:
    since: str | None
    until: str | None
    policy: str
    chats: int
    reviewed_chats: int
    labels: int
    items: list[ItemAgreement]
    overall: ItemAgreement
    total_agreement: float | None = None     # chats whose final total equals the suggested total
    total_mean_abs_diff: float | None = None


def kappa(suggested: list[int], final: list[int]) -> float | None:
    """Cohen's kappa (unweighted, as sklearn's `cohen_kappa_score`), rounded to 3 decimals; None when
    it is undefined (no pairs, or a single level on both sides). Counted directly: the trust gates'
    bootstrap calls it a thousand times per item, where sklearn's input checks took ~2 ms a call."""
    n = len(suggested)
    if not n or len(set(suggested) | set(final)) < 2:
        return None
    observed = sum(a == b for a, b in zip(suggested, final)) / n
    left, right = Counter(suggested), Counter(final)
    expected = sum(left[level] * right[level] for level in left) / (n * n)
    if expected == 1:
        return None
    return round((observed - expected) / (1 - expected), 3)


def excerpt(text: str, start: int, end: int, width: int = 18) -> str:
    left, right = max(0, start - width), min(len(text), end + width)
    return ("…" if left else "") + text[left:right] + ("…" if right < len(text) else "")


def finding_quote(transcript: Transcript, finding) -> Quote:
    ev = finding.evidence[0] if finding.evidence else None
    if ev is None or ev.message_index >= len(transcript.messages):
        return Quote(transcript.id, finding.reason)
    return Quote(transcript.id, excerpt(transcript.messages[ev.message_index].text, ev.start, ev.end))


def item_agreement(item_id: str, label: str, levels: list[int],
                   pairs: list[tuple[LabeledChat, ItemScore, int]], examples: int = 3,
                   detector: str | None = None) -> ItemAgreement:
    """Agreement of one item from (chat, suggested item score, final score) triples."""
    levels = sorted(levels, reverse=True)
    res = ItemAgreement(item=item_id, label=label, levels=levels)
    res.n = len(pairs)
    if not pairs:
        return res
    sug = [p[1].score for p in pairs]
    fin = [p[2] for p in pairs]
    res.agree = sum(s == f for s, f in zip(sug, fin))
    res.agreement = round(res.agree / res.n, 3)
    res.kappa = kappa(sug, fin)
    res.mean_abs_diff = round(sum(abs(s - f) for s, f in zip(sug, fin)) / res.n, 2)
    index = {lv: k for k, lv in enumerate(levels)}
    res.confusion = [[0] * len(levels) for _ in levels]
    for s, f in zip(sug, fin):
        if s in index and f in index:
            res.confusion[index[s]][index[f]] += 1
    res.overridden = sum(item_id in p[0].overridden for p in pairs)
    involved: dict[tuple, list[Quote]] = defaultdict(list)
    detectors: Counter = Counter()
    for chat, scored, final in pairs:
        if scored.score == final:
            continue
        fp = scored.score > final
        res.false_positives += fp
        res.false_negatives += not fp
        seen: set[tuple] = set()
        dets = {f.detector for f in scored.findings}
        detectors.update(dets or {detector or "（无检测结果）"})  # a detector that found nothing took part too
        for f in scored.findings:
            if fp and f.positive:
                key = ("false_positive", f.detector, f.lexicon, f.term)
            elif not fp and not f.positive and f.kind == "excluded":
                key = ("excluded_in_false_negative", f.detector, f.lexicon, f.term)
            else:
                continue
            if key not in seen:
                seen.add(key)
                involved[key].append(finding_quote(chat.transcript, f))
        if not fp and not any(f.positive and f.lexicon for f in scored.findings):
            res.no_term_false_negatives += 1
    res.terms = sorted((TermInvolvement(k[0], k[1], k[2], k[3], len(q), q[:examples]) for k, q in involved.items()),
                       key=lambda t: (-t.chats, t.kind, t.term or ""))
    res.detectors = dict(detectors.most_common())
    return res


def agreement_of(labeled: list[LabeledChat], rubric: Rubric | None = None, since: str | None = None,
                 until: str | None = None) -> AgreementReport:
    """Per item and overall: the suggested scores of `labeled` against the supervisors' final ones; the
    totals compared as the final card makes them (`rubric`, the grading rubric; None: the standard one)."""
    rubric = rubric or load_rubric()
    by_item: dict[str, list] = defaultdict(list)
    totals = []
    for chat in labeled:
        scored = {i.id: i for i in chat.card.items}
        for item_id, final in chat.final.items():
            if item_id in scored:
                by_item[item_id].append((chat, scored[item_id], final))
        if chat.reviewed:  # the final card's total: the rubric's N/A policy, as everywhere else
            final = final_card(chat.card, {k: {"to_value": v} for k, v in chat.final.items()}, rubric)
            totals.append(abs(final.total - chat.card.total))
    items = []
    for item in rubric.items:
        if by_item.get(item.id):
            items.append(item_agreement(item.id, item.label, item.levels, by_item[item.id],
                                        detector=item.detector))
    overall = ItemAgreement(item="overall", label="全部项目", levels=[])
    overall.n = sum(i.n for i in items)
    overall.agree = sum(i.agree for i in items)
    if overall.n:
        overall.agreement = round(overall.agree / overall.n, 3)
        overall.mean_abs_diff = round(sum(i.mean_abs_diff * i.n for i in items) / overall.n, 2)
        weighted = [(i.kappa, i.n) for i in items if i.kappa is not None]
        if weighted:
            overall.kappa = round(sum(k * n for k, n in weighted) / sum(n for _, n in weighted), 3)
    overall.false_positives = sum(i.false_positives for i in items)
    overall.false_negatives = sum(i.false_negatives for i in items)
    overall.overridden = sum(i.overridden for i in items)
    return AgreementReport(
        since=since, until=until, policy=POLICY, chats=len(labeled),
        reviewed_chats=sum(c.reviewed for c in labeled), labels=overall.n, items=items, overall=overall,
        total_agreement=round(sum(d == 0 for d in totals) / len(totals), 3) if totals else None,
        total_mean_abs_diff=round(sum(totals) / len(totals), 2) if totals else None,
    )


def agreement(store: Store, since: str | None, until: str | None, rubric: Rubric | None = None) -> AgreementReport:
    """The agreement report on the reviewed chats of since..until (see `labels.POLICY`)."""
    return agreement_of(load_labeled(store, since, until), rubric, since, until)
