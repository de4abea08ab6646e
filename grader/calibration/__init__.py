"""Calibration: supervisors' overrides as labels, to make suggested scores agree with final ones.

* `agreement(store, since, until)` — per item and overall: share equal, Cohen's kappa, mean
  absolute difference, confusion of levels, detectors and lexicon terms in the disagreements.
* `propose(store, since, until, lexicon_dir)` — lexicon changes (add / remove / exclude terms).
* `evaluate(store, since, until, lexicon_dir)` — the held-out (k-fold) agreement with the changes.
* `apply(proposals, lexicon_dir, accepted_ids)` — new lexicon versions for accepted proposals.
* `calibrate(...)` — all of the above in one `CalibrationReport`; `render_calibration_html(report)`
  gives the HTML body fragment for the review app, `write_outputs` the HTML page and JSON.
* `cli_register(subparsers)` — adds `grader calibrate`.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

from grader.calibration.adopt import apply, read_accept_file
from grader.calibration.agreement import AgreementReport, ItemAgreement, agreement, agreement_of
from grader.calibration.evaluate import Evaluation, evaluate_on, regrade
from grader.calibration.labels import POLICY, LabeledChat, load_labeled
from grader.calibration.proposals import Options, Proposal, lexicon_items, propose_on


@dataclass
class CalibrationReport:
    period: str
    agreement: AgreementReport
    proposals: list[Proposal] = field(default_factory=list)
    evaluation: Evaluation | None = None
    lexicon_versions: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


def _setup(store, since, until, lexicon_dir, rubric, options: Options | None, settings=None):
    """Rubric, lexicons, labelled chats and their re-grades; `settings` (GradeSettings, the process's)
    give the rubric and grading options the labelled chats are re-graded with."""
    from grader.detectors.lexicon import LexiconSet
    from grader.pipeline import Grader
    from grader.rubric import load_rubric

    options = options or Options()
    if settings is not None:
        options.grading = settings.all_options()
    rubric = rubric or load_rubric(settings.rubric if settings else None)
    lexicons = LexiconSet.load(lexicon_dir)
    tz = settings.tz if settings else None
    labeled = load_labeled(store, since, until, tz) if tz else load_labeled(store, since, until)
    baseline = regrade(Grader(rubric, lexicons, options.grading), labeled)
    return rubric, lexicons, labeled, baseline, options


def propose(store, since: str | None, until: str | None, lexicon_dir=None, rubric=None,
            options: Options | None = None, settings=None) -> list[Proposal]:
    """Proposals learned from all labelled chats of since..until, against the lexicons in `lexicon_dir`
    (the chats are re-graded with those lexicons first, so the proposals fit the files as they are)."""
    rubric, lexicons, labeled, baseline, options = _setup(store, since, until, lexicon_dir, rubric, options, settings)
    return propose_on(labeled, baseline, lexicons, rubric, options)


def evaluate(store, since: str | None, until: str | None, lexicon_dir=None, folds: int = 5, seed: int = 0,
             rubric=None, options: Options | None = None, settings=None) -> Evaluation:
    """k-fold held-out agreement before and after the changes proposed on the other folds."""
    rubric, lexicons, labeled, baseline, options = _setup(store, since, until, lexicon_dir, rubric, options, settings)
    return evaluate_on(labeled, lexicons, rubric, folds, seed, options, baseline)


def calibrate(store, since: str | None, until: str | None, lexicon_dir=None, period: str | None = None,
              folds: int = 5, seed: int = 0, rubric=None, options: Options | None = None,
              settings=None) -> CalibrationReport:
    """Agreement report, proposals (on all labelled chats) and their cross-validated evaluation.

    `settings`: the process's GradeSettings (rubric, options, --tz), as the daily run's."""
    rubric, lexicons, labeled, baseline, options = _setup(store, since, until, lexicon_dir, rubric, options, settings)
    report = CalibrationReport(period=period or f"{since or '…'}..{until or '…'}",
                               agreement=agreement_of(labeled, rubric, since, until),
                               lexicon_versions=lexicons.versions())
    report.proposals = propose_on(labeled, baseline, lexicons, rubric, options)
    report.evaluation = evaluate_on(labeled, lexicons, rubric, folds, seed, options, baseline)
    for p in report.proposals:
        p.evaluation = report.evaluation.proposals.get(p.id) or dict(
            folds_chosen=0, folds=folds, item=p.item, before_agreement=None, after_agreement=None)
    return report


def render_calibration_html(report: CalibrationReport) -> str:
    from grader.calibration.html import render_fragment

    return render_fragment(report)


def write_outputs(report: CalibrationReport, out_dir, masker=None) -> tuple[Path, Path]:
    """calibration-<period>.html and .json; example texts masked by `masker` (None: the default, on)."""
    from grader.calibration.html import write_page

    return write_page(report, out_dir, masker)


def cli_register(subparsers) -> None:
    from grader.calibration.cli import register

    register(subparsers)


__all__ = ["POLICY", "AgreementReport", "CalibrationReport", "Evaluation", "ItemAgreement", "LabeledChat",
           "Options", "Proposal", "agreement", "apply", "calibrate", "cli_register", "evaluate",
           "lexicon_items", "load_labeled", "propose", "read_accept_file", "render_calibration_html",
           "write_outputs"]
