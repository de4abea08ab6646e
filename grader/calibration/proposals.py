"""Lexicon change proposals learned from supervisors' decisions.

For every item a detector decides with lexicons (`item_lexicons`: all-or-nothing items, level
items such as product_expertise and service_attitude, their cue lists and reused lexicons), on the
labelled chats and, as background, the period's other graded chats:

* **add** — words and phrases (jieba words, 1–3-grams) of the messages a lexicon reads (agent,
  customer or both) shared by the chats the supervisor scored *higher* than the grader (or lower,
  for an item with a lexicon of negative cues such as deflection) and rare elsewhere. "Elsewhere"
  is every other labelled chat the term could wrongly move plus the period's unlabelled graded
  chats (the background), so override-only labels suffice: the usual supervisor corrects a few
  items and seldom marks a whole card reviewed. Association: one-sided Fisher exact test and
  chi-square (`sklearn.feature_selection.chi2`); features in the same chats are grouped, the
  longest (most specific) kept; a greedy cover keeps only terms that explain new corrected chats. The lexicon
  it goes to is the one whose cues already move that item the same way (tag included).
* **exclude** — a term whose mentions moved scores the wrong way (it counted, the supervisor undid
  it), with words standing just before it (``unless_before=``) or just after it (``unless_after=``)
  consistently across those chats and (almost) never where it counted rightly.
* **remove** — such a term with no consistent neighbouring words, when most of the chats it moved
  were corrected.

Proposal ids are stable: ``<lexicon>+<term>`` (add), ``<lexicon>-<term>`` (remove),
``<lexicon>-<term><<words>`` / ``<lexicon>-<term>><words>`` (exclude when <words> stand before /
after it), e.g. ``promotion+立享``, ``promotion-折扣<不参加``, ``deflection-找快递>就行``.
"""
from __future__ import annotations

import re
import warnings
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

from grader.calibration.agreement import Quote, excerpt
from grader.calibration.labels import Background, LabeledChat
from grader.detectors import REGISTRY, LexiconItemDetector
from grader.transcript.content import PLACEHOLDER
from grader.detectors.lexicon import CLAUSE_BREAK, Lexicon, LexiconSet
from grader.rubric import Rubric
from grader.scorecard.model import Scorecard
from grader.transcript.model import Transcript

WORDISH = re.compile(r"[\u4e00-\u9fffA-Za-z]")
NEGATION = re.compile(r"[不没无非别未]")


@dataclass
class Options:
    min_support: int = 3          # chats a proposal must rest on
    alpha: float = 0.05           # p-value (Fisher exact, one-sided) a candidate term must reach
    max_negative_share: float = 0.1  # an added term may appear in at most this share of labelled chats it would wrongly move
    max_background_share: float = 0.25  # ... and of the unlabelled background chats it could move
    max_add: int = 5              # added terms per item and direction
    min_false_positive_share: float = 0.5  # a term is proposed for removal when at least this share of its chats were corrected
    context_coverage: float = 0.8  # an exclusion must stand beside the term in this share of its wrong mentions
    context_leak: float = 0.1     # ... and in at most this share of its rightful mentions
    examples: int = 3
    max_background: int = 3000    # unlabelled chats of the period read as background (a seeded sample beyond)
    grading: dict = field(default_factory=dict)  # the process's grading options (GradeSettings), for re-grades


@dataclass
class Proposal:
    id: str
    kind: str                 # add | remove | exclude
    lexicon: str
    item: str
    term: str                 # add: the new term; remove/exclude: the existing term as written
    exclusion: str | None = None  # exclude: the words added to unless_before / unless_after
    support: int = 0          # chats behind it: corrected chats holding the term (add); wrongly moved chats (remove/exclude)
    against: int = 0          # labelled chats it may hurt: holding the term but not corrected that way (add); rightly moved chats affected
    chi2: float | None = None
    p_value: float | None = None
    examples: list[Quote] = field(default_factory=list)
    note: str = ""
    evaluation: dict | None = None  # filled by `evaluate`: held-out agreement before/after
    where: str = "before"     # exclude: the words stand before (unless_before) or after (unless_after) the term
    background: int = 0       # add: unlabelled background chats of the period holding the term that it could move
    background_chats: int = 0  # add: unlabelled background chats it was contrasted with
    tag: str | None = None    # add: the tag the new term gets (for lexicons whose detector reads tags)
    direction: int = 1        # add: +1 the term raises the item (a cue for points), -1 lowers it

    @property
    def line(self) -> str:
        """What the lexicon gains, in lexicon syntax."""
        if self.kind == "add":
            return self.term + (f" ; tag={self.tag}" if self.tag else "")
        if self.kind == "exclude":
            return f"{self.term} ; unless_{self.where}=…,{self.exclusion}"
        return f"# {self.term}"


def item_lexicons() -> dict[str, tuple[str, ...]]:
    """Item id -> the lexicons its detector reads, for every registered detector with lexicons."""
    found: dict[str, tuple[str, ...]] = {}
    for cls in REGISTRY.values():
        for item in getattr(cls, "items", ()):
            if cls.lexicons:
                found[item] = tuple(dict.fromkeys(found.get(item, ()) + tuple(cls.lexicons)))
    return dict(sorted(found.items()))


def lexicon_items() -> dict[str, str]:
    """Item id -> lexicon name, for the registered all-or-nothing lexicon detectors (one lexicon each)."""
    found = {}
    for cls in REGISTRY.values():
        if issubclass(cls, LexiconItemDetector) and hasattr(cls, "item") and hasattr(cls, "lexicon_name"):
            found[cls.item] = cls.lexicon_name
    return dict(sorted(found.items()))


def agent_texts(chat) -> list[str]:
    return role_texts(chat.transcript, "agent")


def role_texts(transcript: Transcript, role: str) -> list[str]:
    """The texts a lexicon of `role` reads (agent: human agent messages; customer; any: both)."""
    out = []
    for m in transcript.messages:
        if (role == "agent" and m.is_human_agent) or (role == "customer" and m.role == "customer") or (
                role == "any" and (m.is_human_agent or m.role == "customer")):
            out.append(PLACEHOLDER.sub(" ", m.text))
    return out


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


@lru_cache(maxsize=50_000)
def _cached_grams(doc: str) -> tuple[str, ...]:
    """`ngram_analyzer` of a document, remembered: each fold and item re-reads the same background."""
    return tuple(ngram_analyzer(doc))


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


def _cue_lexicon(samples: list[_Sample], background: list[Background], item: str, names: tuple[str, ...],
                 positive: bool) -> tuple[str | None, str | None]:
    """The lexicon (and tag) whose counted terms move `item` up (positive) or down: the most frequent
    among the item's findings; None when the item has no such cues."""
    lex_count: Counter = Counter()
    tags: dict[str, Counter] = defaultdict(Counter)
    cues = [(f.lexicon, f.positive, f.kind) for s in samples for f in s.scored.findings]
    cues += [cue for b in background for cue in b.cues.get(item, ())]
    for lexicon, cue_positive, kind in cues:
        if lexicon in names and cue_positive == positive and kind != "excluded":
            lex_count[lexicon] += 1
            tags[lexicon][kind] += 1
    if not lex_count:
        return None, None
    name = lex_count.most_common(1)[0][0]
    return name, tags[name].most_common(1)[0][0]


def propose_on(labeled: list[LabeledChat], cards: dict[str, Scorecard], lexicons: LexiconSet, rubric: Rubric,
               options: Options | None = None, background: list[Background] | None = None) -> list[Proposal]:
    """Proposals from labelled chats (their scorecards graded with `lexicons` in `cards`), contrasted
    with the `background` chats of the period (unlabelled; their stored scorecards)."""
    options = options or Options()
    labelled_ids = {c.id for c in labeled}
    background = [b for b in background or [] if b.id not in labelled_ids]
    proposals: list[Proposal] = []
    for item_id, names in item_lexicons().items():
        names = tuple(n for n in names if n in lexicons)
        if not names:
            continue
        try:
            item = rubric.item(item_id)
        except KeyError:
            continue
        samples = _samples(labeled, cards, item_id)
        if not any(s.suggested != s.final for s in samples):
            continue
        bg = [(b, next((i for i in b.card.items if i.id == item_id), None)) for b in background]
        bg = [(b, i) for b, i in bg if i is not None]
        for direction in (1, -1):
            name, tag = _cue_lexicon(samples, [b for b, _ in bg], item_id, names, direction > 0)
            if name is None and direction > 0 and len(names) == 1:
                name = names[0]  # an item never credited yet: its one lexicon
            if name is None:
                continue
            tag = _tag_of(lexicons[name], tag)
            proposals += _additions(samples, bg, lexicons[name], item_id, sorted(item.levels), direction, tag, options)
        proposals += _removals(samples, lexicons, names, item_id, options)
    return proposals


def _tag_of(lex: Lexicon, kind: str | None) -> str | None:
    """The finding kind names a tag of the lexicon when the detector reads tags (else no tag)."""
    tags = {t.tag for t in lex.terms if t.tag}
    return kind if kind in tags else None


def _message_with(transcript: Transcript, term: str, role: str = "agent") -> Quote:
    for text in role_texts(transcript, role):
        k = text.find(term)
        if k >= 0:
            return Quote(transcript.id, excerpt(text, k, k + len(term)))
    return Quote(transcript.id, "")


def _additions(samples: list[_Sample], bg: list, lex: Lexicon, item: str, levels: list[int], direction: int,
               tag: str | None, opt: Options) -> list[Proposal]:
    """Terms shared by the chats the supervisor moved in `direction` and rare in the chats it could
    wrongly move (labelled chats not so corrected, and background chats not already at the end)."""
    from sklearn.feature_extraction.text import CountVectorizer

    y, labelled, docs = _contrast(samples, bg, levels, direction)
    if y.sum() < opt.min_support or y.all():
        return []
    texts = ["\n".join(role_texts(t, lex.role)) for t in docs]
    vec = CountVectorizer(analyzer=_cached_grams, binary=True)
    try:
        X = vec.fit_transform(texts).tocsc()
    except ValueError:  # no words at all
        return []
    names = vec.get_feature_names_out()
    ranked = _ranked_terms(X, y, labelled, names, lex, opt)
    return _addition_proposals(ranked, y, labelled, names, docs, lex, item, direction, tag, opt)


def _contrast(samples: list[_Sample], bg: list, levels: list[int], direction: int):
    """(moved?, labelled?, transcript) of the chats a term could be judged on: labelled chats the
    supervisor moved in `direction` (True) or left where a term could move them, background chats
    not at the end already."""
    import numpy as np

    end = levels[-1] if direction > 0 else levels[0]
    target, docs, labelled = [], [], []
    for s in samples:
        moved = (s.final - s.suggested) * direction > 0
        if moved or s.suggested != end:
            target.append(moved)
            labelled.append(True)
            docs.append(s.chat.transcript)
    for b, scored in bg:
        if scored.score != end:
            target.append(False)
            labelled.append(False)
            docs.append(b.transcript)
    return np.array(target, dtype=bool), np.array(labelled, dtype=bool), docs


def _ranked_terms(X, y, labelled, names, lex: Lexicon, opt: Options) -> list[tuple]:
    """(p, -chi2, column, rows) of the candidate terms, best first: enough support, rare enough
    elsewhere, Fisher's exact test below alpha, not already counted; one per set of chats."""
    from scipy.stats import fisher_exact
    from sklearn.feature_selection import chi2

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scores, _ = chi2(X, y)
    n_pos, n_neg_lab, n_bg = int(y.sum()), int((~y & labelled).sum()), int((~labelled).sum())
    groups: dict[tuple, list[int]] = defaultdict(list)
    pvals: dict[int, float] = {}
    for j, name in enumerate(names):
        if len(name) < 2 or not WORDISH.search(name) or name.startswith(("#", "re:")):
            continue
        rows = X.indices[X.indptr[j]:X.indptr[j + 1]]
        hit = int(y[rows].sum())
        if hit < opt.min_support:
            continue
        neg_lab = int((~y[rows] & labelled[rows]).sum())
        neg_bg = int((~labelled[rows]).sum())
        if neg_lab > opt.max_negative_share * n_neg_lab or neg_bg > opt.max_background_share * n_bg:
            continue
        p = fisher_exact([[hit, n_pos - hit], [neg_lab + neg_bg, n_neg_lab + n_bg - neg_lab - neg_bg]],
                         alternative="greater")[1]
        if not p < opt.alpha:
            continue
        if any(m.excluded_by is None for m in lex.find(name)):
            continue  # the lexicon already counts it (or a part of it)
        pvals[j] = float(p)
        groups[tuple(rows)].append(j)
    ranked = []
    for rows, cols in groups.items():
        best = min(cols, key=lambda j: (-len(names[j]), names[j]))  # same chats: the most specific
        ranked.append((pvals[best], -float(scores[best]), best, rows))
    ranked.sort(key=lambda r: (r[0], r[1], len(names[r[2]]), names[r[2]]))
    return ranked


def _addition_proposals(ranked, y, labelled, names, docs, lex: Lexicon, item: str, direction: int,
                        tag: str | None, opt: Options) -> list[Proposal]:
    """Proposals from the ranked terms, each adding at least `min_support` chats not yet covered."""
    n_bg = int((~labelled).sum())
    covered: set[int] = set()
    out = []
    for p, neg_score, j, rows in ranked:
        new = {r for r in rows if y[r]} - covered
        if len(new) < opt.min_support:
            continue
        covered |= new
        term = str(names[j])
        pos_rows = [r for r in rows if y[r]]
        neg = sum(1 for r in rows if not y[r] and labelled[r])
        neg_bg = sum(1 for r in rows if not labelled[r])
        what = "给了更高的分" if direction > 0 else "扣了分"
        out.append(Proposal(
            id=f"{lex.name}+{term}", kind="add", lexicon=lex.name, item=item, term=term,
            support=len(pos_rows), against=neg, chi2=round(-neg_score, 2), p_value=float(f"{p:.3g}"),
            examples=[_message_with(docs[r], term, lex.role) for r in pos_rows[:opt.examples]],
            background=neg_bg, background_chats=n_bg, tag=tag, direction=direction,
            note=(f"主管在 {len(pos_rows)} 个会话中{what}，这些会话里有“{term}”；"
                  f"其他有标签的会话中出现 {neg} 次，本期其余 {n_bg} 个未复核会话中出现 {neg_bg} 次"),
        ))
        if len(out) >= opt.max_add:
            break
    return out


def _beside(text: str, start: int, end: int, window: int) -> tuple[str, str]:
    before = text[max(0, start - window):start]
    breaks = list(CLAUSE_BREAK.finditer(before))
    before = before[breaks[-1].end():] if breaks else before
    after = text[end:end + window]
    cut = CLAUSE_BREAK.search(after)
    return before, after[:cut.start()] if cut else after


def _wrong_way(s: _Sample, positive: bool) -> bool:
    """A counted mention moved the score the way the supervisor undid."""
    return (s.final < s.suggested) if positive else (s.final > s.suggested)


def _occurrences(sample: _Sample, lexicons: LexiconSet, names: tuple[str, ...]) -> dict[tuple, list[tuple[str, str]]]:
    """(lexicon, term as written, positive) -> the clause text (before, after) each counted mention."""
    found: dict[tuple, list[tuple[str, str]]] = defaultdict(list)
    msgs = sample.chat.transcript.messages
    for f in sample.scored.findings:
        if f.kind == "excluded" or f.lexicon not in names or not f.term or not f.evidence:
            continue
        terms = {t.raw: t for t in lexicons[f.lexicon].terms}
        ev = f.evidence[0]
        if ev.message_index < len(msgs):
            window = terms[f.term].window if f.term in terms else 8
            found[(f.lexicon, f.term, f.positive)].append(_beside(msgs[ev.message_index].text, ev.start, ev.end, window))
    return found


def _contexts(text: str, where: str) -> set[tuple[str, bool]]:
    """Candidate exclusions beside a mention: runs of words touching it (True) and single words."""
    toks = _tokens(text)
    out: set[tuple[str, bool]] = set()
    for n in range(1, min(3, len(toks)) + 1):
        ctx = "".join(toks[-n:] if where == "before" else toks[:n])
        if WORDISH.search(ctx):
            out.add((ctx.strip(), True))
    for t in toks:
        if WORDISH.search(t) and len(t) >= 2:
            out.add((t.strip(), False))
    return {(c, s) for c, s in out if c and "," not in c and ";" not in c}


def _removals(samples: list[_Sample], lexicons: LexiconSet, names: tuple[str, ...], item: str,
              opt: Options) -> list[Proposal]:
    wrong_by: dict[tuple, list[tuple[_Sample, list]]] = defaultdict(list)
    right_by: dict[tuple, list[tuple[_Sample, list]]] = defaultdict(list)
    for s in samples:
        for key, beside in _occurrences(s, lexicons, names).items():
            if _wrong_way(s, key[2]):
                wrong_by[key].append((s, beside))
            elif s.final == s.suggested or not _wrong_way(s, not key[2]):
                right_by[key].append((s, beside))
    out = []
    for key, wrong in sorted(wrong_by.items()):
        lex_name, term, positive = key
        if len(wrong) < opt.min_support:
            continue
        right = right_by.get(key, [])
        good = []
        for side, where in ((0, "before"), (1, "after")):
            cov: dict[str, set[str]] = defaultdict(set)
            touching: dict[str, bool] = defaultdict(bool)
            for s, beside in wrong:
                for b in beside:
                    for ctx, is_touching in _contexts(b[side], where):
                        cov[ctx].add(s.chat.id)
                        touching[ctx] |= is_touching
            for ctx, ids in cov.items():
                leak = sum(any(ctx in b[side] for b in beside) for _, beside in right)
                if len(ids) >= max(opt.min_support, opt.context_coverage * len(wrong)) and \
                        leak <= opt.context_leak * len(right):
                    good.append((-len(ids), leak, not NEGATION.search(ctx), not touching[ctx], side, len(ctx), ctx,
                                 where))
        examples = []
        for s, _ in wrong[:opt.examples]:
            for f in s.scored.findings:
                if f.lexicon == lex_name and f.term == term and f.kind != "excluded" and f.evidence:
                    ev = f.evidence[0]
                    examples.append(Quote(s.chat.id, excerpt(s.chat.transcript.messages[ev.message_index].text,
                                                             ev.start, ev.end)))
                    break
        what = "扣回了分数" if positive else "加回了分数"
        if good:
            good.sort()
            ctx, where = good[0][-2], good[0][-1]
            covered, leak = -good[0][0], good[0][1]
            mark = "<" if where == "before" else ">"
            side_word = "前面" if where == "before" else "后面"
            out.append(Proposal(
                id=f"{lex_name}-{term}{mark}{ctx}", kind="exclude", lexicon=lex_name, item=item, term=term,
                exclusion=ctx, where=where, support=covered, against=leak, examples=examples,
                note=(f"“{term}”在 {len(wrong)} 个会话中起了作用但主管{what}，其中 {covered} 个会话里它{side_word}是“{ctx}”；"
                      f"在 {len(right)} 个判对的会话中，{side_word}是“{ctx}”的有 {leak} 个"),
            ))
        elif len(wrong) / (len(wrong) + len(right)) >= opt.min_false_positive_share:
            out.append(Proposal(
                id=f"{lex_name}-{term}", kind="remove", lexicon=lex_name, item=item, term=term,
                support=len(wrong), against=len(right), examples=examples,
                note=(f"“{term}”起作用的会话中有 {len(wrong)} 个被主管{what}，只有 {len(right)} 个判对；"
                      "前后没有一致的词可作排除，建议删除"),
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
            out_add.append(p.line)
            continue
        for k, line in enumerate(lines):
            if _term_head(line) != p.term:
                continue
            if p.kind == "remove":
                lines[k] = f"# （已删除）{line.strip()}"
            else:
                parts = [part.strip() for part in line.strip().split(" ; ")]
                key = f"unless_{p.where}="
                for n, part in enumerate(parts):
                    if part.startswith(key):
                        parts[n] = f"{part.rstrip(',')},{re.escape(p.exclusion)}"
                        break
                else:
                    parts.append(f"{key}{re.escape(p.exclusion)}")
                lines[k] = " ; ".join(parts)
            if comment:
                lines[k] = f"{comment}\n{lines[k]}"
    body = "\n".join(lines).rstrip("\n")
    if out_add:
        body += "\n" + "\n".join(out_add)
    return body + "\n"
