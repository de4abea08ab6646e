"""Fitting the calibrated confidence (`grader.rubric.confidence`) from labelled examples, offline.

Input per item (or "scenario"): rows of (chat id, features, agrees), where agrees is whether the
suggested score equals the supervisor's. Per item a logistic regression on standardized features
(`ITEM_FEATURES` and the levels seen), its regularization chosen by 5-fold cross-validation with the
folds by chat; an item with under 10 labels, or under `MIN_MINORITY` of either outcome, gets its
smoothed agreement rate instead. One threshold for all items is chosen on the out-of-fold
probabilities (`budget_threshold`): the highest at which at most a review budget of the chats gets a
flag and the flagged are wrong at least half the time. Used by `scripts/confidence_jddc.py`, which writes the shipped file; never at run time.
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
ITEM_FEATURES = ("detector_confidence", "detector_flag", "detector_review", "unmeasured", "not_applicable", "level",
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


MIN_PRECISION = 0.5  # a flag means "likely wrong": the flagged must disagree at least this often, out of fold


def budget_threshold(units: list[tuple[str, float, bool, bool]], budget: float,
                     min_precision: float = MIN_PRECISION) -> float:
    """The highest probability t such that, over units (chat, probability, hard flag, agrees):
    at most `budget` (a share) of the chats have a unit flagged (p < t, or a hard flag whatever t),
    and the units flagged by probability alone disagree at least `min_precision` of the time (a flag
    means "likely wrong", not "less sure than the rest"). 0.0, only the hard flags, when no t does.

    Raises ValueError when `budget` or `min_precision` is not a share between 0 and 1."""
    if not (0.0 <= budget <= 1.0 and 0.0 <= min_precision <= 1.0):
        raise ValueError(f"review budget {budget} or precision {min_precision} is not a share between 0 and 1")
    chats = {u[0] for u in units}
    hard = {u[0] for u in units if u[2]}
    soft = sorted((p, agrees, chat) for chat, p, h, agrees in units if not h)
    best, wrong, flagged = 0.0, 0, set(hard)
    for k, (p, agrees, chat) in enumerate(soft):  # t just above each probability, upwards
        wrong += not agrees
        flagged.add(chat)
        if len(flagged) > budget * len(chats):
            break
        last_of_tie = k + 1 == len(soft) or soft[k + 1][0] > p
        if last_of_tie and wrong >= min_precision * (k + 1):
            best = p + 1e-6
    return round(best, 6)


def fit_items(rows_by_item: dict[str, list[tuple[str, dict, bool]]], budget: float) -> tuple[dict, dict]:
    """(item -> ItemModel, figures) for every item of `rows_by_item` with at least one row, all with the
    one threshold `budget_threshold` chose on the out-of-fold probabilities. Figures: per item n,
    agree, C, threshold, flagged, unflagged, unflagged_agree (out of fold), and under "cards" the
    chats and how many had a flag.
    Raises ValueError when `budget` is not a share between 0 and 1."""
    fitted, units = {}, []
    for item, rows in rows_by_item.items():
        if not rows:
            continue
        ys = [a for _, _, a in rows]
        c = min((log_loss(out_of_fold(rows, item, c), ys), c) for c in GRID)[1]
        probs = out_of_fold(rows, item, c)
        hard = [f.get("detector_flag", 0.0) > 0 for _, f, _ in rows]
        fitted[item] = (rows, c, probs, hard)
        units += [(chat, p, h, a) for (chat, _, a), p, h in zip(rows, probs, hard)]
    t = budget_threshold(units, budget)
    models, cv = {}, {}
    for item, (rows, c, probs, hard) in fitted.items():
        ys = [a for _, _, a in rows]
        models[item] = fit_one(rows, item, c, t)
        kept = [y for p, y, h in zip(probs, ys, hard) if p >= t and not h]
        cv[item] = {"n": len(rows), "agree": sum(ys), "C": c, "threshold": t, "flagged": len(ys) - len(kept),
                    "unflagged_agree": sum(kept), "unflagged": len(kept)}
    flagged = {chat for chat, p, h, _ in units if h or p < t}
    cv["cards"] = {"n": len({u[0] for u in units}), "flagged": len(flagged), "budget": budget,
                   "min_precision": MIN_PRECISION}
    return models, cv
