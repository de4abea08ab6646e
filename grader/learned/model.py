"""The learned layer: per shop, a scikit-learn model of the supervisors' judgement on top of the rules.

For the judgement items (product_expertise, service_attitude, the scenario) and any item a shop has
enough labels for, a multinomial logistic regression is trained on the shop's labelled chats over

* the detectors' measurements: every item's rule score (as a share of its maximum and as a one-hot
  level), value and confidence, the count of each kind of finding, the card's metrics;
* the text: character 1–3-grams (TF-IDF) of the human agent's words and, separately, the buyer's.

Its level replaces the rule's only where it is at least `MIN_PROBABILITY` sure (rules plus
confident corrections): with few labels this keeps it from undoing what the rules get right.

It is never switched on silently. `learn` evaluates each (shop, item) model by k-fold
cross-validation over chats against the rules alone on the same labels (agreement with a 95 %
bootstrap interval for each and for their paired difference) and offers it only when it has at least
`min_labels` labels and the interval of the difference lies above zero. The offered models form a
candidate `Bundle`; `grader calibrate --adopt-model` makes it the versioned model file beside the
lexicons (`model_file.adopt`), `--rollback-model` goes back. A `Grader` with an adopted file applies
it after rule scoring (`Bundle.apply`) and records the file's version in the card's versions and, per
item, the rule score, the model's probability and the features that moved the score most.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import asdict, dataclass, field

SCENARIO = "scenario"
JUDGEMENT_ITEMS = ("product_expertise", "service_attitude", SCENARIO)
FORMAT = 1
MIN_PROBABILITY = 0.6  # below it the model keeps the rule's answer (measured: docs/calibration.md)


@dataclass
class Example:
    """One label: the chat, its rule card (graded with the labelled scenario, or free for the
    scenario itself) and the supervisor's final level (an int; "presale"/"aftersale" for the scenario)."""

    transcript: object
    card: object
    label: int | str
    shop: str = ""


def _texts(transcript) -> tuple[str, str]:
    agent = " ".join(m.text for m in transcript.messages if m.is_human_agent)
    buyer = " ".join(m.text for m in transcript.messages if m.role == "customer")
    return agent, buyer


def measurements(items, metrics: dict, scenario: str) -> dict[str, float]:
    """The numeric features of a rule card: {name: value}."""
    out: dict[str, float] = {f"场景={scenario}": 1.0}
    for i in items:
        out[f"{i.id}:得分率"] = i.score / i.max if i.max else 0.0
        out[f"{i.id}={i.score}"] = 1.0
        out[f"{i.id}:把握"] = float(i.confidence)
        if i.value is not None and not math.isnan(float(i.value)):
            out[f"{i.id}:测量值"] = float(i.value)
        for f in i.findings:
            key = f"{i.id}:{f.kind}"
            out[key] = out.get(key, 0.0) + 1.0
    for k, v in (metrics or {}).items():
        if isinstance(v, (int, float)) and v is not None and not math.isnan(float(v)):
            out[f"指标:{k}"] = float(v)
    return out


def rule_of(example: Example, item: str):
    return example.card.scenario if item == SCENARIO else example.card.item(item).score


class ItemModel:
    """One item's model: vectorizers for measurements, agent and buyer text, and a classifier."""

    def __init__(self, item: str, shop: str, c: float = 1.0):
        self.item, self.shop, self.c = item, shop, c
        self.n_labels = 0
        self.classes: list = []

    def _matrix(self, rows, fit: bool):
        from scipy.sparse import hstack

        dicts = [r[0] for r in rows]
        agent = [r[1] for r in rows]
        buyer = [r[2] for r in rows]
        if fit:
            from sklearn.feature_extraction import DictVectorizer
            from sklearn.feature_extraction.text import TfidfVectorizer
            from sklearn.preprocessing import MaxAbsScaler

            self.dv = DictVectorizer()
            self.scale = MaxAbsScaler()
            self.tv_agent = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), min_df=2, sublinear_tf=True)
            self.tv_buyer = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), min_df=2, sublinear_tf=True)
            parts = [self.scale.fit_transform(self.dv.fit_transform(dicts)),
                     _fit_text(self.tv_agent, agent), _fit_text(self.tv_buyer, buyer)]
        else:
            parts = [self.scale.transform(self.dv.transform(dicts)),
                     _text(self.tv_agent, agent), _text(self.tv_buyer, buyer)]
        return hstack(parts).tocsr()

    def names(self) -> list[str]:
        names = [f"规则/测量：{n}" for n in self.dv.get_feature_names_out()]
        for label, tv in (("客服用语", self.tv_agent), ("顾客用语", self.tv_buyer)):
            if getattr(tv, "vocabulary_", None):
                names += [f"{label}“{n}”" for n in tv.get_feature_names_out()]
        return names

    def fit(self, rows: list[tuple], labels: list) -> "ItemModel":
        from sklearn.linear_model import LogisticRegression

        X = self._matrix(rows, fit=True)
        self.clf = LogisticRegression(C=self.c, max_iter=2000, class_weight="balanced")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.clf.fit(X, labels)
        self.classes = list(self.clf.classes_)
        self.n_labels = len(labels)
        self._names = self.names()
        return self

    def predict(self, rows: list[tuple], rules: list) -> list:
        """The model's level where it is at least MIN_PROBABILITY sure, else the rule's (`rules`)."""
        proba = self.clf.predict_proba(self._matrix(rows, fit=False))
        return [_plain(self.classes[p.argmax()]) if p.max() >= MIN_PROBABILITY else r for p, r in zip(proba, rules)]

    def explain(self, row: tuple, top: int = 3) -> tuple[object, float, list[list]]:
        """(predicted level, its probability, [[feature, contribution], …] the `top` features that
        pushed towards it the most, contributions in log-odds units)."""
        import numpy as np

        x = self._matrix([row], fit=False)
        proba = self.clf.predict_proba(x)[0]
        k = int(np.argmax(proba))
        coef = self.clf.coef_
        weights = coef[0] * (1 if k == 1 else -1) if coef.shape[0] == 1 else coef[k] - coef.mean(axis=0)
        contrib = x.multiply(weights).tocsr()
        order = sorted(zip(contrib.indices, contrib.data), key=lambda p: -p[1])[:top]
        feats = [[self._names[j], round(float(v), 3)] for j, v in order if v > 0]
        return _plain(self.classes[k]), round(float(proba[k]), 3), feats


def _fit_text(tv, docs):
    from scipy.sparse import csr_matrix

    try:
        return tv.fit_transform(docs)
    except ValueError:  # no n-gram in two documents: no text features
        tv.vocabulary_ = {}
        return csr_matrix((len(docs), 0))


def _text(tv, docs):
    from scipy.sparse import csr_matrix

    return tv.transform(docs) if tv.vocabulary_ else csr_matrix((len(docs), 0))


def _plain(value):
    return value.item() if hasattr(value, "item") else value


def row_of(example: Example) -> tuple:
    agent, buyer = _texts(example.transcript)
    return measurements(example.card.items, example.card.metrics, example.card.scenario), agent, buyer


# --- evaluation ---------------------------------------------------------------------------------------

@dataclass
class ModelEvaluation:
    """Cross-validated agreement of model and rules on the same labels, with 95 % bootstrap intervals."""

    shop: str
    item: str
    n: int
    rules: float | None = None
    model: float | None = None
    rules_ci: list[float] = field(default_factory=list)
    model_ci: list[float] = field(default_factory=list)
    difference: float | None = None
    difference_ci: list[float] = field(default_factory=list)
    offered: bool = False
    reason: str = ""


def bootstrap_ci(hits_a: list[bool], hits_b: list[bool] | None = None, rounds: int = 2000, seed: int = 0) -> list[float]:
    """95 % percentile bootstrap interval of the share of `hits_a` (or of share a − share b, paired by chat)."""
    import numpy as np

    a = np.asarray(hits_a, dtype=float)
    if not len(a):
        return []
    d = a - np.asarray(hits_b, dtype=float) if hits_b is not None else a
    rng = np.random.default_rng(seed)
    means = d[rng.integers(0, len(d), size=(rounds, len(d)))].mean(axis=1)
    return [round(float(np.percentile(means, 2.5)), 3), round(float(np.percentile(means, 97.5)), 3)]


def compare(item: str, shop: str, labels: list, rules: list, model: list, min_labels: int, seed: int = 0) -> ModelEvaluation:
    """Agreement of rule and model predictions with `labels` (paired), and whether the model is offered."""
    ev = ModelEvaluation(shop=shop, item=item, n=len(labels))
    if not labels:
        ev.reason = "没有标签"
        return ev
    r = [a == b for a, b in zip(rules, labels)]
    m = [a == b for a, b in zip(model, labels)]
    ev.rules, ev.model = round(sum(r) / len(r), 3), round(sum(m) / len(m), 3)
    ev.rules_ci, ev.model_ci = bootstrap_ci(r, seed=seed), bootstrap_ci(m, seed=seed)
    ev.difference = round(ev.model - ev.rules, 3)
    ev.difference_ci = bootstrap_ci(m, r, seed=seed)
    if len(labels) < min_labels:
        ev.reason = f"标签太少（{len(labels)} < {min_labels}），不提供模型"
    elif ev.difference_ci[0] <= 0:
        ev.reason = (f"没有可靠地胜过规则（一致率 {ev.model:.1%} 对 {ev.rules:.1%}，差值 95% 区间 "
                     f"{ev.difference_ci[0]:+.1%}～{ev.difference_ci[1]:+.1%}），不提供模型")
    else:
        ev.offered = True
        ev.reason = (f"胜过规则：一致率 {ev.model:.1%} 对 {ev.rules:.1%}，差值 95% 区间 "
                     f"{ev.difference_ci[0]:+.1%}～{ev.difference_ci[1]:+.1%}")
    return ev


def cross_validate(examples: list[Example], item: str, shop: str = "", folds: int = 5, seed: int = 0,
                   min_labels: int = 30) -> ModelEvaluation:
    """k-fold (by chat, shuffled with `seed`) out-of-fold model predictions against the rules."""
    from sklearn.model_selection import KFold

    labels = [e.label for e in examples]
    rules = [rule_of(e, item) for e in examples]
    if len(examples) < max(folds, 2) or len(set(labels)) < 2:
        ev = compare(item, shop, labels, rules, rules, min_labels, seed)
        ev.offered = False
        ev.reason = ev.reason if len(examples) < min_labels else "标签只有一种分值，无法学习，不提供模型"
        return ev
    rows = [row_of(e) for e in examples]
    predicted: list = [None] * len(examples)
    for train, test in KFold(folds, shuffle=True, random_state=seed).split(examples):
        train_labels = [labels[i] for i in train]
        if len(set(train_labels)) < 2:
            for i in test:
                predicted[i] = train_labels[0]
            continue
        model = ItemModel(item, shop).fit([rows[i] for i in train], train_labels)
        for i, p in zip(test, model.predict([rows[i] for i in test], [rules[i] for i in test])):
            predicted[i] = p
    return compare(item, shop, labels, rules, predicted, min_labels, seed)


def held_out(train: list[Example], test: list[Example], item: str, shop: str = "", min_labels: int = 30,
             seed: int = 0) -> ModelEvaluation:
    """Train on `train`, measure model and rules on `test` (a split by chat the model never saw)."""
    labels = [e.label for e in test]
    rules = [rule_of(e, item) for e in test]
    train_labels = [e.label for e in train]
    if len(set(train_labels)) < 2:
        return compare(item, shop, labels, rules, rules, min_labels, seed)
    model = ItemModel(item, shop).fit([row_of(e) for e in train], train_labels)
    ev = compare(item, shop, labels, rules, model.predict([row_of(e) for e in test], rules), max(0, min_labels), seed)
    ev.n = len(test)
    if len(train) < min_labels:
        ev.offered, ev.reason = False, f"训练标签太少（{len(train)} < {min_labels}），不提供模型"
    return ev


# --- the bundle: what a model file holds ---------------------------------------------------------------

@dataclass
class Bundle:
    """The offered models of a calibration: {shop: {item: ItemModel}}, their evaluations and, once
    adopted, the version (set by `model_file.adopt`)."""

    models: dict[str, dict[str, ItemModel]] = field(default_factory=dict)
    evaluations: list[ModelEvaluation] = field(default_factory=list)
    period: str = ""
    trained_at: str = ""
    version: str | None = None
    sklearn: str = ""
    format: int = FORMAT

    min_probability: float = MIN_PROBABILITY

    @property
    def tag(self) -> str:
        return f"v{self.version or 0}"

    def summary(self) -> dict:
        return {"version": self.version, "period": self.period, "trained_at": self.trained_at,
                "models": {s: sorted(m) for s, m in self.models.items()},
                "evaluations": [asdict(e) for e in self.evaluations]}

    def for_shop(self, shop: str | None) -> dict[str, ItemModel]:
        return self.models.get(shop or "", {})

    def predict_scenario(self, transcript, items, metrics, scenario) -> tuple[str, float, list] | None:
        model = self.for_shop(transcript.shop).get(SCENARIO)
        if model is None:
            return None
        agent, buyer = _texts(transcript)
        return model.explain((measurements(items, metrics, scenario), agent, buyer))

    def apply(self, transcript, items: list, metrics: dict, scenario: str) -> tuple[list, dict]:
        """The items with the shop's models applied (scores replaced by the model's level when it is
        an allowed one; rule evidence kept) and the explanation {item: {rule_score, score,
        probability, features}}."""
        models = self.for_shop(transcript.shop)
        explained: dict[str, dict] = {}
        if not models:
            return items, explained
        agent, buyer = _texts(transcript)
        row = (measurements(items, metrics, scenario), agent, buyer)
        out = []
        for i in items:
            model = models.get(i.id)
            if model is None or i.not_applicable:
                out.append(i)
                continue
            level, proba, feats = model.explain(row)
            if level not in i.levels or proba < self.min_probability:
                level = i.score  # not sure enough (or not a level of this rubric): the rule's answer stands
            explained[i.id] = {"rule_score": i.score, "score": level, "probability": proba, "features": feats}
            if level != i.score:
                i = i.model_copy(update={
                    "score": int(level), "confidence": proba, "needs_review": i.needs_review or proba < 0.6,
                    "reason": f"模型 {self.tag}：规则 {i.score} 分 → {level} 分（把握 {proba:.0%}）。规则：{i.reason}"})
            out.append(i)
        return out, explained


def learn(examples: dict[tuple[str, str], list[Example]], folds: int = 5, seed: int = 0, min_labels: int = 30,
          period: str = "") -> Bundle:
    """Evaluate every (shop, item) model and train the offered ones on all their labels.

    `examples`: (shop, item) -> labels. Returns a candidate Bundle (no version until adopted)."""
    from datetime import datetime, timezone

    import sklearn

    bundle = Bundle(period=period, trained_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
                    sklearn=sklearn.__version__)
    for (shop, item), exs in sorted(examples.items()):
        ev = cross_validate(exs, item, shop, folds, seed, min_labels)
        bundle.evaluations.append(ev)
        if ev.offered:
            bundle.models.setdefault(shop, {})[item] = ItemModel(item, shop).fit(
                [row_of(e) for e in exs], [e.label for e in exs])
    return bundle


def examples_from(labeled, cards: dict, free_cards: dict, scenario_labels: dict[str, str],
                  items: tuple[str, ...] | None = None, min_labels: int = 30) -> dict[tuple[str, str], list[Example]]:
    """(shop, item) -> Examples from labelled chats: the judgement items always, any other item when
    the shop has at least `min_labels` labels of it. `cards`: rule cards with the labelled scenario;
    `free_cards`: rule cards with the detected scenario; `scenario_labels`: chat -> final scenario."""
    out: dict[tuple[str, str], list[Example]] = {}
    for chat in labeled:
        shop = chat.transcript.shop or ""
        card = cards.get(chat.id)
        if card is None:
            continue
        for item, level in chat.final.items():
            out.setdefault((shop, item), []).append(Example(chat.transcript, card, level, shop))
        if chat.id in scenario_labels and chat.id in free_cards:
            out.setdefault((shop, SCENARIO), []).append(
                Example(chat.transcript, free_cards[chat.id], scenario_labels[chat.id], shop))
    keep = set(items or JUDGEMENT_ITEMS)
    return {k: v for k, v in out.items() if k[1] in keep or len(v) >= min_labels}
