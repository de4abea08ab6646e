"""The supervisor's view of a scorecard: one compact JSON object, a line of `scorecards.jsonl`.

It holds everything a supervisor sees — items with score, levels, confidence, review flag, reason,
value, 不适用 mark and evidence — but not the per-message findings behind them (kept compressed in
the database) nor the full versions (named by `versions_key`; `scorecards.versions.json` beside the
file maps each key to its versions). Evidence is `[message_index, start, end, quote]`; fields at their
defaults (value null, not_applicable false, notes [], source_file null) are left out.

`card_view(card, vkey)` makes one; `card_from_view(view, versions, findings)` gives the Scorecard back
exactly (findings empty unless given, see `encode_findings` / `decode_findings`).
"""
from __future__ import annotations

import json

from grader.scorecard.model import Scorecard, Versions

ITEM_DEFAULTS = {"value": None, "not_applicable": False}
CARD_DEFAULTS = {"notes": [], "source_file": None, "learned": None, "red_lines": []}


def card_view(card: Scorecard, vkey: str) -> dict:
    """The view of `card` (a dict of JSON types), `vkey` naming its versions."""
    items = []
    for i in card.items:
        item = {"id": i.id, "label": i.label, "max": i.max, "levels": list(i.levels), "score": i.score,
                "confidence": i.confidence, "needs_review": i.needs_review,
                "evidence": [[e.message_index, e.start, e.end, e.quote] for e in i.evidence], "reason": i.reason}
        if i.value is not None:
            item["value"] = i.value
        if i.not_applicable:
            item["not_applicable"] = True
        items.append(item)
    view = {"transcript_id": card.transcript_id, "platform": card.platform, "shop": card.shop, "agent": card.agent,
            "customer": card.customer, "started_at": card.started_at.isoformat() if card.started_at else None,
            "scenario": card.scenario, "scenario_label": card.scenario_label,
            "scenario_confidence": card.scenario_confidence, "total": card.total, "band": card.band,
            "needs_review": card.needs_review, "items": items, "metrics": card.metrics}
    if card.notes:
        view["notes"] = list(card.notes)
    if card.source_file is not None:
        view["source_file"] = card.source_file
    if card.learned is not None:
        view["learned"] = card.learned
    if card.red_lines:
        view["red_lines"] = [{**r.model_dump(exclude={"evidence"}),
                              "evidence": [[e.message_index, e.start, e.end, e.quote] for e in r.evidence]}
                             for r in card.red_lines]
    view["versions_key"] = vkey
    return view


def view_json(view: dict) -> str:
    return json.dumps(view, ensure_ascii=False, separators=(",", ":"))


def card_from_view(view: dict, versions: Versions | dict, findings: list[list] | None = None) -> Scorecard:
    """The Scorecard of a view; `findings` (from `decode_findings`) per item, in item order, if kept."""
    items = []
    for n, item in enumerate(view["items"]):
        items.append({**ITEM_DEFAULTS, **item,
                      "evidence": [{"message_index": e[0], "start": e[1], "end": e[2], "quote": e[3]}
                                   for e in item["evidence"]],
                      "findings": findings[n] if findings else []})
    data = {**CARD_DEFAULTS, **{k: v for k, v in view.items() if k != "versions_key"}, "items": items,
            "versions": versions}
    data["red_lines"] = [{**r, "evidence": [{"message_index": e[0], "start": e[1], "end": e[2], "quote": e[3]}
                                            for e in r["evidence"]]} for r in data["red_lines"]]
    return Scorecard.model_validate(data)


# --- findings: compact rows, decoded only when asked for (calibration) ----------------------------

def encode_findings(card: Scorecard) -> list[list] | None:
    """Per item, its findings as rows [detector, item (0: the item's own), kind, positive (0/1),
    evidence, reason, term, lexicon, lexicon_version (1: as in versions), data]; an evidence span that
    is also the item's is its position in the item's evidence, any other [i, start, end, quote].
    None when the card has no findings at all."""
    lexv = card.versions.lexicons
    out, any_found = [], False
    for i in card.items:
        rows = []
        own = {(e.message_index, e.start, e.end, e.quote): n for n, e in enumerate(i.evidence)}
        for f in i.findings:
            any_found = True
            spans = []
            for e in f.evidence:
                key = (e.message_index, e.start, e.end, e.quote)
                spans.append(own[key] if key in own else list(key))
            rows.append([f.detector, 0 if f.item == i.id else f.item, f.kind, int(f.positive), spans, f.reason,
                         f.term, f.lexicon, 1 if f.lexicon_version == lexv.get(f.lexicon) else f.lexicon_version,
                         f.data])
        out.append(rows)
    return out if any_found else None


def decode_findings(rows: list[list], view: dict, versions: Versions) -> list[list[dict]]:
    """The findings (as dicts for Scorecard validation) of each item of `view`."""
    lexv = versions.lexicons
    out = []
    for item, found in zip(view["items"], rows):
        own = item["evidence"]
        out.append([{"detector": d, "item": item["id"] if it == 0 else it, "kind": kind, "positive": bool(pos),
                     "evidence": [{"message_index": e[0], "start": e[1], "end": e[2], "quote": e[3]}
                                  for e in (own[x] if isinstance(x, int) else x for x in ev)],
                     "reason": reason, "term": term, "lexicon": lex,
                     "lexicon_version": lexv.get(lex) if lv == 1 else lv, "data": data}
                    for d, it, kind, pos, ev, reason, term, lex, lv, data in found])
    return out
