"""Supervisor decisions as labels: which scorecards count, and what the final score of each item is.

Policy (documented in the report):

* A chat whose review is finished (``review_state.reviewed = true``) labels **every** item on its
  scorecard: an overridden item's label is the latest override, an item left alone is a label
  that the supervisor agreed with the suggestion *they saw* (the scorecard that was current when
  the review was finished, not a later re-grade).
* A chat with overrides but no finished review labels **only the overridden items**: the other
  items may simply not have been looked at yet, so they are no evidence of agreement.
* Chats with neither are not labels and are left out.
* Overrides whose value is not a whole number, or not one of the item's levels, are left out.
* A review finished by a bulk accept (`grader.review.bulk`: accepted unread) is no label: nobody read
  the chat, so counting it would make the tool agree with itself (and trust itself more).
* Scenario labels (`scenario_labels`): every chat whose scenario a supervisor changed (the tool's is
  the scenario before the first change) and every reviewed chat's scenario as it was accepted.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

from grader.dates import utc_bounds
from grader.scorecard.final import override_level
from grader.store.queue import utc_text
from grader.scorecard.model import Scorecard
from grader.store import Store
from grader.transcript.model import SHANGHAI, Transcript

POLICY = ("复核完成的会话（review_state.reviewed = true）：每个项目都是标签（改过的取最后一次改分，"
          "没改的视为主管同意当时看到的建议分）；有改分但未完成复核的会话：只有改过的项目算标签；"
          "批量接受（没有人看过）的会话和其余会话不计入。")


@dataclass
class LabeledChat:
    """One chat with supervisor labels: final score per labelled item, and its current scorecard."""

    transcript: Transcript | None         # None when loaded without texts (`load_period(texts=False)`)
    card: Scorecard                       # the current scorecard (what the grader suggests now)
    final: dict[str, int]                 # item id -> the supervisor's final score
    overridden: set[str] = field(default_factory=set)
    reviewed: bool = False

    @property
    def id(self) -> str:
        return self.card.transcript_id

    def suggested(self, item_id: str) -> int | None:
        for i in self.card.items:
            if i.id == item_id:
                return i.score
        return None


def _scores_seen_at_review(store: Store, ids: list[str]) -> dict[str, dict[str, int]]:
    """Per reviewed chat, the suggested scores of the scorecard that was current when the review was
    finished (item id -> score, from the stored item scores: no scorecard decoded)."""
    result: dict[str, dict[str, int]] = {}
    if not ids:
        return result
    done = store.reviewed_at(ids)
    for tid, graded_at, scores in store.scores_of(list(done)):
        at, graded = _moment(done.get(tid)), _moment(graded_at)
        if at is not None and graded is not None and graded <= at:
            result[tid] = scores  # later rows (newer cards) win
    return result


def _moment(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(str(text))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


@dataclass
class Background:
    """A graded chat of the period without labels: its transcript, its current scorecard without
    findings, and per item the (lexicon, positive, kind) of its findings (`cues`: all the
    proposals read of them; a card's findings are most of its memory)."""

    transcript: Transcript
    card: Scorecard
    cues: dict[str, list[tuple]] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.card.transcript_id


def load_labeled(store: Store, since: str | None, until: str | None, tz=SHANGHAI,
                 texts: bool = True) -> list[LabeledChat]:
    """Reviewed or overridden chats that began on days since..until (local days in `tz`), with their labels.
    `texts` False: scores only, as the trust gates need (see `load_period`)."""
    return load_period(store, since, until, tz, max_background=0, texts=texts)[0]


def load_period(store: Store, since: str | None, until: str | None, tz=SHANGHAI,
                max_background: int = 3000, texts: bool = True) -> tuple[list[LabeledChat], list[Background]]:
    """The labelled chats of since..until and, as background, up to `max_background` of the period's
    other graded chats (a sample fixed by chat id when there are more). `texts` False: no transcripts
    and no findings are decoded (`LabeledChat.transcript` is None, a purged chat's labels are kept):
    the scores alone, several times cheaper."""
    # ids from the queue's indexed columns; only the labelled chats and the background sample are decoded
    ids = period_ids(store, since, until, tz)
    overrides = store.latest_overrides(ids)
    reviewed = store.reviewed(ids) - store.reviewed_in_bulk(ids)
    seen = _scores_seen_at_review(store, sorted(reviewed))
    labelled = [i for i in ids if i in reviewed or {k for k in overrides.get(i, {}) if k != "scenario"}]
    chosen = set(labelled)
    unlabelled = [i for i in ids if i not in chosen]
    if len(unlabelled) > max_background:
        unlabelled = sorted(unlabelled, key=_stable)[:max_background]
    found = store.current_scorecards(labelled, findings=texts)  # the agreement report reads findings
    order = {tid: n for n, tid in enumerate(ids)}
    cards = sorted(found.values(), key=lambda c: order[c.transcript_id])
    unlabelled, cues = _light_cards(store, unlabelled, texts)
    chats = store.transcripts([i for i in ids if i in reviewed or i in overrides]
                              + [c.transcript_id for c in unlabelled]) if texts else {}
    labeled = []
    for card in cards:
        tid = card.transcript_id
        ov = {k: v for k, v in overrides.get(tid, {}).items() if k != "scenario"}
        if (tid not in reviewed and not ov) or (texts and tid not in chats):
            continue
        final, overridden = _labels(card, seen.get(tid) or {i.id: i.score for i in card.items}, ov, tid in reviewed)
        if final:
            labeled.append(LabeledChat(chats.get(tid), card, final, overridden, tid in reviewed))
    background = [Background(chats[c.transcript_id], c, cues.get(c.transcript_id, {})) for c in unlabelled
                  if c.transcript_id in chats]
    return labeled, background


def _light_cards(store: Store, ids: list[str], findings: bool = True,
                 chunk: int = 500) -> tuple[list[Scorecard], dict[str, dict]]:
    """The current scorecards of `ids` (found, in that order) without their findings and, with
    `findings`, per chat the cues of its findings (item id -> [(lexicon, positive, kind)]): decoded
    `chunk` at a time, so the findings of at most that many are held at once."""
    cards, cues = {}, {}
    for start in range(0, len(ids), chunk):
        for tid, card in store.current_scorecards(ids[start:start + chunk], findings=findings).items():
            cues[tid] = {i.id: [(f.lexicon, f.positive, f.kind) for f in i.findings] for i in card.items}
            for item in card.items:
                item.findings = []
            cards[tid] = card
    return [cards[i] for i in ids if i in cards], cues


def _labels(card: Scorecard, base_scores: dict[str, int], ov: dict, reviewed: bool) -> tuple[dict[str, int], set[str]]:
    """(item -> final score, overridden items) of one chat by the module's policy; `base_scores` are
    the suggested scores the supervisor saw when finishing the review, `ov` the latest override per item."""
    final: dict[str, int] = {}
    overridden: set[str] = set()
    for item in card.items:
        if item.id in ov:
            value = override_level(item, ov[item.id])  # the final card's rule: allowed levels only
            if value is None:
                continue
            final[item.id] = value
            overridden.add(item.id)
        elif reviewed:
            final[item.id] = base_scores.get(item.id, item.score)
    return final, overridden


def period_ids(store: Store, since: str | None, until: str | None, tz=SHANGHAI) -> list[str]:
    """The chats with a current scorecard that began on days since..until (local days in `tz`), by start."""
    lo, hi = utc_bounds(since, until, tz)
    keys = sorted(store.chats_between(utc_text(lo) if lo else "", utc_text(hi) if hi else "~"), key=lambda k: k[1])
    return [k[0] for k in keys]


def scenario_labels(store: Store, since: str | None, until: str | None, labeled: list[LabeledChat],
                    tz=SHANGHAI) -> list[tuple[str, str, str]]:
    """(transcript id, the tool's scenario, the supervisor's) by the module's policy: every chat of the
    period whose scenario was changed, and every reviewed chat of `labeled` (its card's scenario, accepted)."""
    changed = store.scenario_changes(period_ids(store, since, until, tz))
    found = [(tid, tool, final) for tid, (tool, final) in changed.items()]
    found += [(c.id, c.card.scenario, c.card.scenario) for c in labeled if c.reviewed and c.id not in changed]
    return found


def _stable(text: str) -> str:
    import hashlib

    return hashlib.sha1(text.encode("utf-8")).hexdigest()
