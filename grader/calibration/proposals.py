"""Lexicon change proposals learned from supervisors' decisions.

For every all-or-nothing item fed by a lexicon (a `LexiconItemDetector`), on the labelled chats:

* **add** — words and phrases (jieba words, 1–3-grams) of the agent's human messages that are
  associated with "the supervisor gave the points" (`sklearn.feature_selection.chi2` on a binary
  `CountVectorizer`, one document per chat) and occur in chats the grader missed (false
  negatives) but rarely in chats without the points. Features with the same chats are grouped and
  the shortest is kept; a greedy cover keeps only terms that explain new missed chats.
* **exclude** — a term that fired in chats whose points the supervisor removed (false positives),
  with the words standing just before it consistent across those chats and (almost) absent before
  it where it fired rightly: proposed as ``unless_before=<words>`` on that term.
* **remove** — such a term with no consistent preceding words, when most of the chats it fired in
  lost their points.

Proposal ids are stable: ``<lexicon>+<term>`` (add), ``<lexicon>-<term>`` (remove),
``<lexicon>-<term><<words>`` (exclude when <words> stand before it), e.g. ``promotion+立享``,
``promotion-折扣<不参加``.
"""
from __future__ import annotations

import re
import warnings
from collections import defaultdict
from dataclasses import dataclass, field

from grader.calibration.agreement import Quote, excerpt
from grader.calibration.labels import LabeledChat
from grader.detectors import REGISTRY, LexiconItemDetector
from grader.transcript.content import PLACEHOLDER
from grader.detectors.lexicon import CLAUSE_BREAK, Lexicon, LexiconSet
from grader.rubric import Rubric
from grader.scorecard.model import Scorecard

WORDISH = re.compile(r"[\u4e00-\u9fffA-Za-z]")
NEGATION = re.compile(r"[不没无非别未]")


@dataclass
class Options:
    min_support: int = 3          # chats a proposal must rest on
    alpha: float = 0.05           # chi2 p-value a candidate term must reach
    max_negative_share: float = 0.1  # an added term may appear in at most this share of chats without the points
    max_add: int = 5              # added terms per lexicon item
    min_false_positive_share: float = 0.5  # a term is proposed for removal when at least this share of its chats lost the points
    context_coverage: float = 0.8  # an exclusion must stand before the term in this share of its false positives
    context_leak: float = 0.1     # ... and in at most this share of its rightful mentions
    examples: int = 3
    grading: dict = field(default_factory=dict)  # the process's grading options (GradeSettings), for re-grades


@dataclass
class Proposal:
    id: str
    kind: str                 # add | remove | exclude
    lexicon: str
    item: str
    term: str                 # add: the new term; remove/exclude: the existing term as written
    exclusion: str | None = None  # exclude: the words added to unless_before
    support: int = 0          # chats behind it: missed chats holding the term (add); wrongly credited chats (remove/exclude)
    against: int = 0          # chats it may hurt: chats without points holding the term (add); rightly credited chats affected
    chi2: float | None = None
    p_value: float | None = None
    examples: list[Quote] = field(default_factory=list)
    note: str = ""
    evaluation: dict | None = None  # filled by `evaluate`: held-out agreement before/after

    @property
    def line(self) -> str:
        """What the lexicon gains, in lexicon syntax."""
        if self.kind == "add":
            return self.term
        if self.kind == "exclude":
            return f"{self.term} ; unless_before=…,{self.exclusion}"
        return f"# {self.term}"


def lexicon_items() -> dict[str, str]:
    """Item id -> lexicon name, for every registered all-or-nothing lexicon detector."""
    found = {}
    for cls in REGISTRY.values():
        if issubclass(cls, LexiconItemDetector) and hasattr(cls, "item") and hasattr(cls, "lexicon_name"):
            found[cls.item] = cls.lexicon_name
    return dict(sorted(found.items()))


def agent_texts(chat: LabeledChat) -> list[str]:
    return [PLACEHOLDER.sub(" ", m.text) for m in chat.transcript.messages if m.is_human_agent]


def _tokens(text: str) -> list[str]:
    from grader.detectors.chat import words

    return [w for w, _, _ in words(text)]


def ngram_analyzer(doc: str, max_n: int = 3) -> list[str]:
    """jieba word 1–3-grams of each line (message) of `doc`; n-grams never cross punctuation."""
    grams: list[str] = []
    for line in doc.split("\n"):
        run: list[str] = []
        for tok in _tokens(line) + [" "]:
            if WORDISH.search(tok):
                run.append(tok)
                continue
            for n in range(1, max_n + 1):
                grams.extend("".join(run[k:k + n]) for k in range(len(run) - n + 1))
            run = []
    return grams


@dataclass
class _Sample:
    chat: LabeledChat
    suggested: int
    final: int
    scored: object  # ItemScore


def _samples(labeled: list[LabeledChat], cards: dict[str, Scorecard], item: str) -> list[_Sample]:
    out = []
    for chat in labeled:
        card = cards.get(chat.id)
        if card is None or item not in chat.final:
            continue
        scored = next((i for i in card.items if i.id == item), None)
        if scored is not None:
            out.append(_Sample(chat, scored.score, chat.final[item], scored))
    return out


def propose_on(labeled: list[LabeledChat], cards: dict[str, Scorecard], lexicons: LexiconSet, rubric: Rubric,
               options: Options | None = None) -> list[Proposal]:
    """Proposals from labelled chats and their scorecards graded with `lexicons`."""
    options = options or Options()
    proposals: list[Proposal] = []
    for item_id, lex_name in lexicon_items().items():
        if lex_name not in lexicons:
            continue
        try:
            item = rubric.item(item_id)
        except KeyError:
            continue
        low = min(item.levels)
        samples = _samples(labeled, cards, item_id)
        if not any(s.suggested != s.final for s in samples):
            continue
        lex = lexicons[lex_name]
        proposals += _additions(samples, lex, item_id, low, options)
        proposals += _removals(samples, lex, item_id, low, options)
    return proposals


def _message_with(chat: LabeledChat, term: str) -> Quote:
    for text in agent_texts(chat):
        k = text.find(term)
        if k >= 0:
            return Quote(chat.id, excerpt(text, k, k + len(term)))
    return Quote(chat.id, "")


def _additions(samples: list[_Sample], lex: Lexicon, item: str, low: int, opt: Options) -> list[Proposal]:
    import numpy as np
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.feature_selection import chi2

    y = np.array([s.final > low for s in samples])
    missed = np.array([s.suggested == low and s.final > low for s in samples])
    if missed.sum() < opt.min_support or y.all() or not y.any():
        return []
    docs = ["\n".join(agent_texts(s.chat)) for s in samples]
    vec = CountVectorizer(analyzer=ngram_analyzer, binary=True)
    try:
        X = vec.fit_transform(docs).tocsc()
    except ValueError:  # no words at all
        return []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scores, pvals = chi2(X, y)
    names = vec.get_feature_names_out()
    n_neg = int((~y).sum())
    base_rate = y.mean()
    groups: dict[tuple, list[int]] = defaultdict(list)
    for j, name in enumerate(names):
        if len(name) < 2 or not WORDISH.search(name) or name.startswith(("#", "re:")):
            continue
        rows = X.indices[X.indptr[j]:X.indptr[j + 1]]
        fn = int(missed[rows].sum())
        neg = int((~y[rows]).sum())
        if fn < opt.min_support or not (pvals[j] < opt.alpha) or y[rows].mean() <= base_rate:
            continue
        if neg > opt.max_negative_share * n_neg:
            continue
        if any(m.excluded_by is None for m in lex.find(name)):
            continue  # the lexicon already counts it (or a part of it)
        groups[tuple(rows)].append(j)
    ranked = []
    for rows, cols in groups.items():
        best = min(cols, key=lambda j: (len(names[j]), names[j]))
        ranked.append((float(scores[best]), best, rows))
    ranked.sort(key=lambda r: (-r[0], len(names[r[1]]), names[r[1]]))
    covered: set[int] = set()
    out = []
    for score, j, rows in ranked:
        new = {r for r in rows if missed[r]} - covered
        if len(new) < opt.min_support:
            continue
        covered |= new
        term = str(names[j])
        fn_rows = [r for r in rows if missed[r]]
        neg = sum(1 for r in rows if not y[r])
        out.append(Proposal(
            id=f"{lex.name}+{term}", kind="add", lexicon=lex.name, item=item, term=term,
            support=len(fn_rows), against=neg, chi2=round(score, 2), p_value=float(f"{pvals[j]:.3g}"),
            examples=[_message_with(samples[r].chat, term) for r in fn_rows[:opt.examples]],
            note=(f"主管在 {len(fn_rows)} 个漏判会话中给了分，这些会话的客服说了“{term}”；"
                  f"没有给分的会话中出现 {neg} 次"),
        ))
        if len(out) >= opt.max_add:
            break
    return out


def _before(text: str, start: int, window: int) -> str:
    before = text[max(0, start - window):start]
    breaks = list(CLAUSE_BREAK.finditer(before))
    return before[breaks[-1].end():] if breaks else before


def _occurrences(sample: _Sample, lex: Lexicon) -> dict[str, list[str]]:
    """Term (as written) -> the clause text before each counted mention of it."""
    found: dict[str, list[str]] = defaultdict(list)
    msgs = sample.chat.transcript.messages
    terms = {t.raw: t for t in lex.terms}
    for f in sample.scored.findings:
        if not f.positive or f.lexicon != lex.name or not f.term or not f.evidence:
            continue
        ev = f.evidence[0]
        if ev.message_index < len(msgs):
            window = terms[f.term].window if f.term in terms else 8
            found[f.term].append(_before(msgs[ev.message_index].text, ev.start, window))
    return found


def _contexts(before: str) -> set[tuple[str, bool]]:
    """Candidate exclusions in the text before a mention: word suffixes (True) and single words."""
    toks = [t for t in _tokens(before)]
    out: set[tuple[str, bool]] = set()
    for n in range(1, min(3, len(toks)) + 1):
        ctx = "".join(toks[-n:])
        if WORDISH.search(ctx):
            out.add((ctx.strip(), True))
    for t in toks:
        if WORDISH.search(t) and len(t) >= 2:
            out.add((t.strip(), False))
    return {(c, s) for c, s in out if c and "," not in c and ";" not in c}


def _removals(samples: list[_Sample], lex: Lexicon, item: str, low: int, opt: Options) -> list[Proposal]:
    fp: dict[str, list[tuple[_Sample, list[str]]]] = defaultdict(list)
    tp: dict[str, list[tuple[_Sample, list[str]]]] = defaultdict(list)
    for s in samples:
        if s.suggested == low:
            continue
        for term, befores in _occurrences(s, lex).items():
            (tp if s.final > low else fp)[term].append((s, befores))
    out = []
    for term, wrong in sorted(fp.items()):
        if len(wrong) < opt.min_support:
            continue
        right = tp.get(term, [])
        fp_cov: dict[str, set[str]] = defaultdict(set)
        suffix: dict[str, bool] = defaultdict(bool)
        for s, befores in wrong:
            for b in befores:
                for ctx, is_suffix in _contexts(b):
                    fp_cov[ctx].add(s.chat.id)
                    suffix[ctx] |= is_suffix
        good = []
        for ctx, ids in fp_cov.items():
            leak = sum(any(ctx in b for b in befores) for _, befores in right)
            if len(ids) >= max(opt.min_support, opt.context_coverage * len(wrong)) and leak <= opt.context_leak * len(right):
                good.append((-len(ids), leak, not NEGATION.search(ctx), not suffix[ctx], len(ctx), ctx))
        examples = []
        for s, befores in wrong[:opt.examples]:
            for f in s.scored.findings:
                if f.positive and f.term == term and f.evidence:
                    ev = f.evidence[0]
                    examples.append(Quote(s.chat.id, excerpt(s.chat.transcript.messages[ev.message_index].text,
                                                             ev.start, ev.end)))
                    break
        if good:
            good.sort()
            ctx = good[0][-1]
            covered, leak = -good[0][0], good[0][1]
            out.append(Proposal(
                id=f"{lex.name}-{term}<{ctx}", kind="exclude", lexicon=lex.name, item=item, term=term,
                exclusion=ctx, support=covered, against=leak, examples=examples,
                note=(f"“{term}”在 {len(wrong)} 个会话中计分但主管扣回了分数，其中 {covered} 个会话里它前面是“{ctx}”；"
                      f"在 {len(right)} 个正确计分的会话中，前面是“{ctx}”的有 {leak} 个"),
            ))
        elif len(wrong) / (len(wrong) + len(right)) >= opt.min_false_positive_share:
            out.append(Proposal(
                id=f"{lex.name}-{term}", kind="remove", lexicon=lex.name, item=item, term=term,
                support=len(wrong), against=len(right), examples=examples,
                note=(f"“{term}”计分的会话中有 {len(wrong)} 个被主管扣回分数，只有 {len(right)} 个保留；"
                      "前面没有一致的否定词，建议删除"),
            ))
    return out


# --- applying proposals to lexicon text --------------------------------------------------------

def _term_head(line: str) -> str | None:
    stripped = line.strip()
    if not stripped or stripped.startswith("#"):
        return None
    return stripped.split(" ; ")[0].strip()


def modify_lexicon_text(text: str, proposals: list[Proposal], note: callable = None) -> str:
    """The lexicon text with proposals applied. `note(proposal)` gives a comment line put above
    each changed or added line (the lexicon format has no trailing comments)."""
    lines = text.splitlines()
    out_add: list[str] = []
    for p in proposals:
        comment = f"# {note(p)}" if note else None
        if p.kind == "add":
            if comment:
                out_add.append(comment)
            out_add.append(p.term)
            continue
        for k, line in enumerate(lines):
            if _term_head(line) != p.term:
                continue
            if p.kind == "remove":
                lines[k] = f"# （已删除）{line.strip()}"
            else:
                parts = [part.strip() for part in line.strip().split(" ; ")]
                for n, part in enumerate(parts):
                    if part.startswith("unless_before="):
                        parts[n] = f"{part.rstrip(',')},{re.escape(p.exclusion)}"
                        break
                else:
                    parts.append(f"unless_before={re.escape(p.exclusion)}")
                lines[k] = " ; ".join(parts)
            if comment:
                lines[k] = f"{comment}\n{lines[k]}"
    body = "\n".join(lines).rstrip("\n")
    if out_add:
        body += "\n" + "\n".join(out_add)
    return body + "\n"
