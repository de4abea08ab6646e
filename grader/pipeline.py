"""grade(transcript) -> Scorecard: detectors measure, the rubric scores, the scorecard records."""
from __future__ import annotations

import time
from pathlib import Path
from zoneinfo import ZoneInfo

from grader.detectors import REGISTRY, Chat, LexiconSet, Measurement
from grader.detectors.base import in_order, measure
from grader.detectors.options import detector_options, versioned_options
from grader.rubric import SCENARIO_LABELS, Rubric, load_rubric
from grader.errors import ConfigError
from grader.rubric.confidence import ConfidenceModel
from grader.rubric.confidence import load as load_confidence
from grader.rubric.scoring import REVIEW_BELOW, collect_metrics, score_items
from grader.scorecard.model import RedLineHit, Scorecard, Versions, new_scorecard
from grader.transcript.model import Transcript


class Grader:
    """Loads the rubric, lexicons and detectors once; grades any number of transcripts.

    Within grader, get one through `grader.settings.GradeSettings.grader()` (once per process).
    `detect_seconds` adds up the CPU time the detectors took in the calling thread (the batch's accounting).
    """

    def __init__(self, rubric: Rubric | str | Path | None = None, lexicons: LexiconSet | str | Path | None = None,
                 options: dict | None = None, learned=None, confidence=None):
        """`learned`: the adopted model (a `grader.learned.model.Bundle`), False for rules only;
        by default the model file adopted in the lexicon folder, if there is one. `confidence`: the
        calibrated-confidence model (`grader.rubric.confidence`; a ConfidenceModel or a path), False
        for the detectors' own confidence and flags; by default the bundled model."""
        self.rubric = rubric if isinstance(rubric, Rubric) else load_rubric(rubric)
        self.lexicons = (lexicons if isinstance(lexicons, LexiconSet) else LexiconSet.load(lexicons)).share_index()
        self.options = detector_options(options)  # every option declared and validated (ConfigError)
        self.tz = ZoneInfo(self.options["tz"])
        missing = [r.lexicon for r in self.rubric.red_lines if r.lexicon not in self.lexicons]
        if missing:
            raise ConfigError(f"rubric red lines need lexicons {', '.join(missing)}; not found in the lexicon folder")
        self.detectors = in_order([cls(self.lexicons, self.options) for cls in REGISTRY.values()])
        self.versions = Versions(
            rubric=self.rubric.version_tag,
            detectors={d.name: d.version for d in self.detectors},
            lexicons=self.lexicons.versions(),
            settings=versioned_options(options),
        )
        if confidence is False:
            self.confidence = None
        else:
            self.confidence = confidence if isinstance(confidence, ConfidenceModel) else load_confidence(confidence)
        if self.confidence is not None:
            self.versions.confidence = self.confidence.tag
        self.learned = _adopted_model(self.lexicons) if learned is None else (learned or None)
        if self.learned is not None:  # its version is part of every card's versions: adopting re-grades
            self.versions.settings["learned_model"] = self.learned.tag
        self.detect_seconds = 0.0

    def measure(self, transcript: Transcript) -> dict[str, Measurement]:
        start = time.thread_time()
        measured = measure(self.detectors, Chat(transcript))
        self.detect_seconds += time.thread_time() - start
        return measured

    def grade(self, transcript: Transcript, scenario: str | None = None) -> Scorecard:
        """Grade one transcript. `scenario` ("presale"/"aftersale") overrides the detected one."""
        measured = self.measure(transcript)
        detected = measured.get("scenario")
        found = self.detected_scenario(detected)
        forced = scenario is not None
        if scenario is None:
            scenario = found
            confidence = detected.confidence if detected else 0.0
        else:
            confidence = 1.0
        items = score_items(self.rubric, scenario, measured)
        learned = None
        if self.learned is not None:  # optional, after rule scoring: off unless a model file is adopted
            scenario, confidence, items, learned = self._apply_learned(transcript, scenario, confidence, items,
                                                                      measured, forced)
        scenario_flag = confidence < REVIEW_BELOW
        if self.confidence is not None:
            items = self.confidence.calibrate(items, transcript, confidence)
            if not forced and scenario == found and detected is not None:
                calibrated = self.confidence.scenario(detected, transcript)
                if calibrated is not None:
                    confidence, scenario_flag = calibrated
        red_lines = self.red_line_hits(measured)
        total = self.rubric.total([(i.score, i.max, i.not_applicable) for i in items], [r.id for r in red_lines])
        notes = list(transcript.notes)
        if detected and scenario == found:
            notes.append(f"场景判断：{detected.reason}")
        return new_scorecard({  # every part is already validated: the transcript, measurements, rubric
            "transcript_id": transcript.id, "platform": transcript.platform, "shop": transcript.shop,
            "agent": transcript.agent, "customer": transcript.customer, "started_at": transcript.started_at,
            "scenario": scenario, "scenario_label": SCENARIO_LABELS[scenario],
            "scenario_confidence": round(confidence, 2), "total": total, "band": self.rubric.band(total),
            "needs_review": any(i.needs_review for i in items) or scenario_flag or bool(red_lines),
            "items": items, "metrics": collect_metrics(measured), "versions": self.versions,
            "notes": notes, "source_file": transcript.source_file, "learned": learned, "red_lines": red_lines,
        })

    def red_line_hits(self, measured: dict[str, Measurement]) -> list[RedLineHit]:
        """The rubric's red lines whose lexicon hit (`grader.detectors.red_line`), with the hits' evidence."""
        out = []
        for r in self.rubric.red_lines:
            m = measured.get(r.lexicon)
            hits = [f for f in m.findings if f.kind == "hit"] if m else []
            if hits:
                out.append(RedLineHit(
                    id=r.id, label=r.label, effect=r.effect, cap=r.cap, evidence=[e for f in hits for e in f.evidence],
                    reason="；".join(dict.fromkeys(f.reason for f in hits)), confidence=m.confidence, term=hits[0].term))
        return out

    def _apply_learned(self, transcript, scenario, confidence, items, measured, forced):
        """The shop's adopted models over the rule scores: scenario (unless given) then items."""
        metrics = collect_metrics(measured)
        explained: dict = {"version": self.learned.tag, "items": {}}
        if not forced:
            guess = self.learned.predict_scenario(transcript, items, metrics, scenario)
            if guess is not None:
                level, proba, feats = guess
                explained["scenario"] = {"rule": scenario, "scenario": level, "probability": proba, "features": feats}
                if level in SCENARIO_LABELS and level != scenario and proba >= self.learned.min_probability:
                    scenario, confidence = level, proba
                    items = score_items(self.rubric, scenario, measured)
        items, explained["items"] = self.learned.apply(transcript, items, metrics, scenario)
        if not explained["items"] and "scenario" not in explained:
            return scenario, confidence, items, None
        return scenario, confidence, items, explained


    def detected_scenario(self, detected: Measurement | None) -> str:
        """The scenario a scenario measurement points to: 1.0 after-sale, 0.0 pre-sale, None (no
        cue either way) the rubric's `scenario_default`."""
        if detected is None or detected.value is None:
            return self.rubric.scenario_default
        return "aftersale" if detected.value == 1 else "presale"


def _adopted_model(lexicons: LexiconSet):
    """The model file adopted beside these lexicons (one folder), or None."""
    folders = {Path(lex.path).parent for lex in lexicons.values() if getattr(lex, "path", None)}
    if len(folders) != 1:
        return None
    from grader.learned.model_file import load_adopted

    return load_adopted(folders.pop())


_default: Grader | None = None


def grade(transcript: Transcript, scenario: str | None = None) -> Scorecard:
    """Grade with the standard rubric and the bundled lexicons (loaded once per process)."""
    global _default
    if _default is None:
        _default = Grader()
    return _default.grade(transcript, scenario)
