"""Fitting the calibrated confidence (`grader.rubric.confidence`) from labelled examples, offline.

Input per item (or "scenario"): rows of (chat id, features, agrees), where agrees is whether the
suggested score equals the supervisor's. Per item a logistic regression on standardized features
(`ITEM_FEATURES` and the levels seen), its regularization chosen by 5-fold cross-validation with the
folds by chat; an item with under 10 labels, or under `MIN_MINORITY` of either outcome, gets its
smoothed agreement rate instead. The threshold is chosen on the out-of-fold probabilities
(`threshold_for`). Used by `scripts/confidence_jddc.py`, which writes the shipped file; never at run time.
"""
from __future__ import annotations

import math
import random

from grader.rubric.confidence import SCENARIO, ItemModel

GRID = (0.01, 0.03, 0.1, 0.3, 1.0)
FOLDS = 5
MIN_MINORITY = 5  # fewer agreements or disagreements than this: the item's model is its (smoothed) rate
MIN_LEVEL = 3  # a level ("score=<n>") becomes a feature of an item when it is seen on this many of its examples
# The measured features the item models use: finding kinds and the chat's finer shape were tried and
# left out (with ~50-100 labels per item they fit noise: worse out-of-fold log loss on the JD tuning half).
ITEM_FEATURES = ("detector_confidence", "detector_flag", "unmeasured", "not_applicable", "level",
                 "positive_evidence", "negative_evidence", "scenario_certainty", "messages", "customer_turns",
                 "agent_turns")


def names_of(rows: list[tuple[str, dict, bool]], item: str) -> list[str]:
    """The features an item's model uses: `ITEM_FEATURES` and the levels seen `MIN_LEVEL` times (the
    scenario model: every feature of `scenario_features`)."""
    counts: dict[str, int] = {}
    for _, f, _ in rows:
        for k, v in f.items():
            if v:
                counts[k] = counts.get(k, 0) + 1
    if item == SCENARIO:
        return sorted(counts)
    base = [k for k in ITEM_FEATURES if k in counts]
    return base + sorted(k for k, n in counts.items() if k.startswith("score=") and n >= MIN_LEVEL)


def fit_one(rows, item: str, c: float, threshold: float = 0.5) -> ItemModel:
    from sklearn.linear_model import LogisticRegression

    ys = [a for _, _, a in rows]
    if len(rows) < 10 or min(sum(ys), len(ys) - sum(ys)) < MIN_MINORITY:
        return ItemModel([], [], [], [], 0.0, threshold, constant=round((sum(ys) + 1) / (len(ys) + 2), 4))
    names = names_of(rows, item)
    cols = [[f.get(n, 0.0) for n in names] for _, f, _ in rows]
    means = [sum(col[j] for col in cols) / len(cols) for j in range(len(names))]
    scales = [math.sqrt(sum((col[j] - means[j]) ** 2 for col in cols) / len(cols)) or 1.0 for j in range(len(names))]
    x = [[(v - m) / s for v, m, s in zip(col, means, scales)] for col in cols]
    lr = LogisticRegression(C=c, max_iter=2000).fit(x, ys)
    return ItemModel(names, [round(m, 6) for m in means], [round(s, 6) for s in scales],
                     [round(float(v), 6) for v in lr.coef_[0]], round(float(lr.intercept_[0]), 6), threshold)


def folds_of(rows, k: int = FOLDS, seed: int = 0) -> list[int]:
    chats = sorted({c for c, _, _ in rows})
    random.Random(seed).shuffle(chats)
    fold = {c: n % k for n, c in enumerate(chats)}
    return [fold[c] for c, _, _ in rows]


def out_of_fold(rows, item: str, c: float) -> list[float]:
    """Each row's probability from the model fitted on the other folds."""
    folds = folds_of(rows)
    probs = [0.0] * len(rows)
    for k in set(folds):
        model = fit_one([r for r, f in zip(rows, folds) if f != k], item, c)
        for n, (r, f) in enumerate(zip(rows, folds)):
            if f == k:
                probs[n] = model.probability(r[1])
    return probs


def log_loss(probs, ys) -> float:
    eps = 1e-4
    return -sum(math.log(max(eps, p if y else 1 - p)) for p, y in zip(probs, ys)) / max(1, len(ys))


def threshold_for(probs: list[float], ys: list[bool], hard: list[bool], target: float) -> float:
    """The lowest probability t such that the suggestions with p >= t and no flag of the detector's
    own (`hard`) agree at least `target` (1.01, flag everything, when no such t exists)."""
    best = 1.01
    for t in sorted(set(probs), reverse=True):
        kept = [y for p, y, h in zip(probs, ys, hard) if p >= t and not h]
        if kept and sum(kept) / len(kept) >= target:
            best = t
    return round(best - 1e-6, 6) if best <= 1 else best


def fit_items(rows_by_item: dict[str, list[tuple[str, dict, bool]]], target: float) -> tuple[dict, dict]:
    """(item -> ItemModel, item -> out-of-fold figures: n, agree, C, threshold, flagged, unflagged,
    unflagged_agree) for every item of `rows_by_item` with at least one row."""
    models, cv = {}, {}
    for item, rows in rows_by_item.items():
        if not rows:
            continue
        ys = [a for _, _, a in rows]
        c = min((log_loss(out_of_fold(rows, item, c), ys), c) for c in GRID)[1]
        probs = out_of_fold(rows, item, c)
        hard = [f.get("detector_flag", 0.0) > 0 for _, f, _ in rows]
        t = threshold_for(probs, ys, hard, target)
        models[item] = fit_one(rows, item, c, t)
        kept = [y for p, y, h in zip(probs, ys, hard) if p >= t and not h]
        cv[item] = {"n": len(rows), "agree": sum(ys), "C": c, "threshold": t, "flagged": len(ys) - len(kept),
                    "unflagged_agree": sum(kept), "unflagged": len(kept)}
    return models, cv
