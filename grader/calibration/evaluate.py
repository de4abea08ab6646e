"""Proposals judged on chats they were not learned from: k-fold cross-validation over chats.

In each fold the proposals are chosen on the other folds' chats only, the lexicons are changed
accordingly (`parse_lexicon` on the modified text) and the held-out chats are re-graded with the
real `Grader`. Each chat is held out exactly once, so the pooled held-out scores give the
agreement the changed lexicons would have had.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from grader.calibration.agreement import kappa
from grader.calibration.labels import Background, LabeledChat
from grader.calibration.proposals import Options, Proposal, item_lexicons, modify_lexicon_text, propose_on
from grader.detectors.lexicon import LexiconSet, parse_lexicon
from grader.pipeline import Grader
from grader.rubric import Rubric
from grader.scorecard.model import Scorecard


@dataclass
class ItemEvaluation:
    item: str
    label: str
    n: int
    before_agreement: float | None
    after_agreement: float | None
    before_kappa: float | None
    after_kappa: float | None
    before_mean_abs_diff: float | None
    after_mean_abs_diff: float | None


@dataclass
class Evaluation:
    folds: int
    chats: int
    seed: int
    items: list[ItemEvaluation] = field(default_factory=list)
    overall: ItemEvaluation | None = None
    proposals: dict[str, dict] = field(default_factory=dict)  # proposal id -> held-out figures


def lexicon_texts(lexicons: LexiconSet) -> dict[str, str]:
    return {name: Path(lex.path).read_text(encoding="utf-8") for name, lex in lexicons.items() if lex.path}


def changed_lexicons(lexicons: LexiconSet, texts: dict[str, str], proposals: list[Proposal]) -> LexiconSet:
    """A copy of `lexicons` with the proposals applied (unchanged lexicons are shared)."""
    result = LexiconSet(lexicons)
    by_lex: dict[str, list[Proposal]] = {}
    for p in proposals:
        by_lex.setdefault(p.lexicon, []).append(p)
    for name, props in by_lex.items():
        result[name] = parse_lexicon(modify_lexicon_text(texts[name], props), lexicons[name].path)
    return result


def regrade(grader: Grader, chats: list[LabeledChat]) -> dict[str, Scorecard]:
    return {c.id: grader.grade(c.transcript, c.card.scenario) for c in chats}


def _figures(pairs: list[tuple[int, int]]) -> tuple[float | None, float | None, float | None]:
    if not pairs:
        return None, None, None
    sug, fin = [p[0] for p in pairs], [p[1] for p in pairs]
    agree = round(sum(s == f for s, f in pairs) / len(pairs), 3)
    mad = round(sum(abs(s - f) for s, f in pairs) / len(pairs), 2)
    return agree, kappa(sug, fin), mad


def _score(card: Scorecard, item: str) -> int | None:
    return next((i.score for i in card.items if i.id == item), None)


def _pairs(chats: list[LabeledChat], cards: dict[str, Scorecard], item: str) -> list[tuple[int, int]]:
    out = []
    for c in chats:
        if item in c.final and c.id in cards:
            s = _score(cards[c.id], item)
            if s is not None:
                out.append((s, c.final[item]))
    return out


def _item_eval(item: str, label: str, chats, before, after) -> ItemEvaluation:
    b, a = _pairs(chats, before, item), _pairs(chats, after, item)
    return ItemEvaluation(item, label, len(b), *[x for pair in zip(_figures(b), _figures(a)) for x in pair])


def evaluate_on(labeled: list[LabeledChat], lexicons: LexiconSet, rubric: Rubric, folds: int = 5, seed: int = 0,
                options: Options | None = None, baseline: dict[str, Scorecard] | None = None,
                background: list[Background] | None = None) -> Evaluation:
    """Pooled held-out figures: each fold's proposals are learned on the other folds' labels (and the
    background), its chats re-graded with them. Held-out chats are in neither."""
    from sklearn.model_selection import KFold

    texts = lexicon_texts(lexicons)
    grading = (options or Options()).grading
    if baseline is None:
        baseline = regrade(Grader(rubric, lexicons, grading, learned=False), labeled)
    result = Evaluation(folds=folds, chats=len(labeled), seed=seed)
    if len(labeled) < max(folds, 2):
        return result
    after: dict[str, Scorecard] = {}
    single: dict[str, dict[str, Scorecard]] = {}     # proposal id -> held-out chat -> card with it alone
    chosen: dict[str, int] = {}
    item_of: dict[str, str] = {}
    for train_idx, test_idx in KFold(folds, shuffle=True, random_state=seed).split(labeled):
        train = [labeled[i] for i in train_idx]
        test = [labeled[i] for i in test_idx]
        props = propose_on(train, baseline, lexicons, rubric, options, background)
        if props:
            after.update(regrade(Grader(rubric, changed_lexicons(lexicons, texts, props), grading, learned=False), test))
        else:
            after.update({c.id: baseline[c.id] for c in test})
        for p in props:
            chosen[p.id] = chosen.get(p.id, 0) + 1
            item_of[p.id] = p.item
            single.setdefault(p.id, {}).update(
                regrade(Grader(rubric, changed_lexicons(lexicons, texts, [p]), grading, learned=False), test))
    items = item_lexicons()
    for item in rubric.items:
        if item.id in items and _pairs(labeled, baseline, item.id):
            result.items.append(_item_eval(item.id, item.label, labeled, baseline, after))
    all_b = [p for i in result.items for p in _pairs(labeled, baseline, i.item)]
    all_a = [p for i in result.items for p in _pairs(labeled, after, i.item)]
    b, a = _figures(all_b), _figures(all_a)
    result.overall = ItemEvaluation("overall", "词典决定的项目合计", len(all_b), b[0], a[0], b[1], a[1], b[2], a[2])
    for pid, cards in single.items():
        merged = {**baseline, **cards}
        item = item_of[pid]
        before_pairs, after_pairs = _pairs(labeled, baseline, item), _pairs(labeled, merged, item)
        fixed = broken = 0
        for c in labeled:
            if item in c.final and c.id in cards:
                was, now = _score(baseline[c.id], item), _score(cards[c.id], item)
                fixed += was != c.final[item] and now == c.final[item]
                broken += was == c.final[item] and now != c.final[item]
        fb, fa = _figures(before_pairs), _figures(after_pairs)
        result.proposals[pid] = dict(folds_chosen=chosen[pid], folds=folds, item=item,
                                     before_agreement=fb[0], after_agreement=fa[0],
                                     before_kappa=fb[1], after_kappa=fa[1], fixed=fixed, broken=broken)
    return result
