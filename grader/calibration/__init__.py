"""Calibration: supervisors' overrides as labels, to make suggested scores agree with final ones.

* `agreement(store, since, until)` — per item and overall: share equal, Cohen's kappa, mean
  absolute difference, confusion of levels, detectors and lexicon terms in the disagreements.
* `propose(store, since, until, lexicon_dir)` — lexicon changes (add / remove / exclude terms).
* `evaluate(store, since, until, lexicon_dir)` — the held-out (k-fold) agreement with the changes.
* `apply(proposals, lexicon_dir, accepted_ids)` — new lexicon versions for accepted proposals.
* `trust.from_store(store, labeled, rubric)` — trust gates: per item the tool's agreement (kappa, 95 %
  intervals) beside supervisors' agreement with each other; trusted items may be bulk-accepted.
* `calibrate(...)` — all of the above in one `CalibrationReport`; `render_calibration_html(report)`
  gives the HTML body fragment for the review app, `write_outputs` the HTML page and JSON.
* `cli_register(subparsers)` — adds `grader calibrate`.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from grader.calibration.adopt import apply, read_accept_file
from grader.calibration.agreement import AgreementReport, ItemAgreement, agreement, agreement_of
from grader.calibration.evaluate import Evaluation, evaluate_on, regrade
from grader.calibration.labels import POLICY, Background, LabeledChat, load_labeled, load_period
from grader.calibration.proposals import Options, Proposal, item_lexicons, lexicon_items, propose_on


@dataclass
class CalibrationReport:
    period: str
    agreement: AgreementReport
    proposals: list[Proposal] = field(default_factory=list)
    evaluation: Evaluation | None = None
    lexicon_versions: dict[str, str] = field(default_factory=dict)
    background_chats: int = 0     # unlabelled graded chats of the period the proposals were contrasted with
    learning: dict | None = None  # the learned layer's evaluation (`learned.Bundle.summary`), when asked for
    trust: list = field(default_factory=list)  # trust gates per item (`trust.TrustRow`): tool beside supervisors
    names: dict[str, str] = field(default_factory=dict)  # item, lexicon and detector ids -> Chinese names
    candidate: object = field(default=None, repr=False, compare=False)  # the candidate Bundle (not serialized)

    def to_dict(self) -> dict:
        """JSON types only: the candidate's models are not part of the report."""
        data = asdict(replace(self, candidate=None))
        data.pop("candidate", None)
        return data



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
    labeled, background = (load_period(store, since, until, tz, options.max_background) if tz else
                           load_period(store, since, until, max_background=options.max_background))
    baseline = regrade(Grader(rubric, lexicons, options.grading, learned=False), labeled)
    return rubric, lexicons, labeled, baseline, options, background


def propose(store, since: str | None, until: str | None, lexicon_dir=None, rubric=None,
            options: Options | None = None, settings=None) -> list[Proposal]:
    """Proposals learned from all labelled chats of since..until, against the lexicons in `lexicon_dir`
    (the chats are re-graded with those lexicons first, so the proposals fit the files as they are)."""
    rubric, lexicons, labeled, baseline, options, background = _setup(store, since, until, lexicon_dir, rubric,
                                                                      options, settings)
    return propose_on(labeled, baseline, lexicons, rubric, options, background)


def evaluate(store, since: str | None, until: str | None, lexicon_dir=None, folds: int = 5, seed: int = 0,
             rubric=None, options: Options | None = None, settings=None) -> Evaluation:
    """k-fold held-out agreement before and after the changes proposed on the other folds."""
    rubric, lexicons, labeled, baseline, options, background = _setup(store, since, until, lexicon_dir, rubric,
                                                                      options, settings)
    return evaluate_on(labeled, lexicons, rubric, folds, seed, options, baseline, background)


def calibrate(store, since: str | None, until: str | None, lexicon_dir=None, period: str | None = None,
              folds: int = 5, seed: int = 0, rubric=None, options: Options | None = None,
              settings=None, learn: bool = False, min_labels: int = 30) -> CalibrationReport:
    """Agreement report, proposals (on all labelled chats) and their cross-validated evaluation.

    `settings`: the process's GradeSettings (rubric, options, --tz), as the daily run's. `learn`:
    also evaluate the learned layer per shop (`learned.learn`, `min_labels` labels at least) and keep
    the candidate Bundle of the offered models in `report.candidate` (not adopted)."""
    rubric, lexicons, labeled, baseline, options, background = _setup(store, since, until, lexicon_dir, rubric,
                                                                      options, settings)
    report = CalibrationReport(period=period or f"{since or '…'}..{until or '…'}",
                               agreement=agreement_of(labeled, rubric, since, until),
                               lexicon_versions=lexicons.versions())
    report.names = _names(rubric, lexicons)
    report.background_chats = len(background)
    report.trust = trust_of(store, since, until, labeled, rubric, settings.tz if settings else None, seed)
    report.proposals = propose_on(labeled, baseline, lexicons, rubric, options, background)
    report.evaluation = evaluate_on(labeled, lexicons, rubric, folds, seed, options, baseline, background)
    for p in report.proposals:
        p.evaluation = report.evaluation.proposals.get(p.id) or dict(
            folds_chosen=0, folds=folds, item=p.item, before_agreement=None, after_agreement=None)
    if learn:
        report.candidate = learn_on(store, labeled, baseline, rubric, lexicons, options, folds, seed, min_labels,
                                    report.period, background)
        report.learning = report.candidate.summary()
    return report


def trust_of(store, since: str | None, until: str | None, labeled, rubric, tz=None, seed: int = 0,
             rounds: int | None = None) -> list:
    """The trust gates (`trust.TrustRow`s) of since..until from its `labeled` chats, the period's scenario
    labels and every calibration session; `rounds` of the tool kappa's bootstrap (None: `trust.ROUNDS`)."""
    from grader.calibration.labels import scenario_labels
    from grader.calibration.trust import ROUNDS, from_store

    scenarios = scenario_labels(store, since, until, labeled, tz) if tz else scenario_labels(store, since, until, labeled)
    return from_store(store, labeled, rubric, seed, scenarios, ROUNDS if rounds is None else rounds)


def _names(rubric, lexicons) -> dict[str, str]:
    """What the page calls items, lexicons and detectors (grader.display.display_names)."""
    from grader.detectors import REGISTRY
    from grader.display import display_names

    return display_names(rubric, lexicons, REGISTRY.values())


def learn_on(store, labeled, baseline, rubric, lexicons, options, folds=5, seed=0, min_labels=30, period="",
             background=()):
    """The learned layer's candidate Bundle from labelled chats (see `grader.learned.model`).

    Scenario labels: the scenario of reviewed cards and every scenario change, including chats of
    the `background` whose only correction is their scenario."""
    from grader.learned.model import SCENARIO, Example, examples_from, learn
    from grader.pipeline import Grader

    scenario_labels = {c.id: c.card.scenario for c in labeled if c.reviewed}
    scenario_labels.update(store.scenario_overrides([c.id for c in labeled] + [b.id for b in background]))
    free = Grader(rubric, lexicons, options.grading, learned=False)
    free_cards = {c.id: free.grade(c.transcript) for c in labeled if c.id in scenario_labels}
    examples = examples_from(labeled, baseline, free_cards, scenario_labels, min_labels=min_labels)
    for b in background:
        if b.id in scenario_labels:
            shop = b.transcript.shop or ""
            examples.setdefault((shop, SCENARIO), []).append(
                Example(b.transcript, free.grade(b.transcript), scenario_labels[b.id], shop))
    return learn(examples, folds, seed, min_labels, period)


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


__all__ = ["POLICY", "AgreementReport", "Background", "item_lexicons", "load_period", "CalibrationReport", "Evaluation", "ItemAgreement", "LabeledChat",
           "Options", "Proposal", "agreement", "apply", "calibrate", "cli_register", "evaluate", "trust_of",
           "lexicon_items", "load_labeled", "propose", "read_accept_file", "render_calibration_html",
           "write_outputs"]
