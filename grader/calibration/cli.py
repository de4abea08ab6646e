"""`grader calibrate`: agreement report, proposals, evaluation, and (with --apply) adoption."""
from __future__ import annotations

import json
import sys

EXIT_OK, EXIT_ERROR = 0, 1


def register(subparsers) -> None:
    from grader.options import add_db_argument, add_grading_arguments, add_period_arguments, example

    c = subparsers.add_parser(
        "calibrate", help="对比系统建议分和主管的改分，统计一致率并建议增删词条",
        epilog=example("grader calibrate --month 2026-11 --out 报告/", "grader calibrate --month 2026-11 --apply",
                       "grader calibrate --month 2026-11 --learn --out 报告/"))
    add_period_arguments(c)
    add_db_argument(c)
    add_grading_arguments(c, "重新评分有主管标签的会话")
    c.add_argument("--out", default="reports", help="写入 calibration-<期间>.html 和 .json 的文件夹（默认 ./reports）")
    c.add_argument("--folds", type=int, default=5, help="交叉验证的折数（默认 5）")
    c.add_argument("--min-support", type=int, default=3, help="一条建议至少要有多少个会话支持（默认 3）")
    c.add_argument("--apply", action="store_true",
                   help="把采纳的建议写成新版本词库（逐条询问 y/n，除非给了 --accept）")
    c.add_argument("--accept", metavar="FILE", help="配合 --apply：采纳的建议编号文件，每行一个")
    c.add_argument("--learn", action="store_true",
                   help="同时按店铺评估学习模型，把推荐的模型写成候选文件 learned-model-<期间>.joblib（放在 --out，不采纳）")
    c.add_argument("--min-labels", type=int, default=30, help="学习模型至少需要的标签数（默认 30）")
    c.add_argument("--adopt-model", metavar="FILE",
                   help="采纳一个候选模型文件：它成为词库旁边的下一个版本")
    c.add_argument("--rollback-model", action="store_true",
                   help="退回上一个采纳的模型版本（或只用规则）")
    from grader.privacy import add_masking_arguments
    add_masking_arguments(c)
    c.set_defaults(func=run)


def _ask(proposals) -> list[str]:
    accepted = []
    for p in proposals:
        ev = p.evaluation or {}
        held = (f"留出一致率 {ev['before_agreement']:.1%} → {ev['after_agreement']:.1%}"
                if ev.get("before_agreement") is not None else "交叉验证中未选中")
        print(f"\n[{p.id}] {p.note}\n  {held}", file=sys.stderr)
        for q in p.examples[:2]:
            print(f"  例（{q.transcript_id}）：{q.text}", file=sys.stderr)
        try:
            answer = input("  采纳？[y/N] ").strip().lower()
        except EOFError:
            answer = ""
        if answer in ("y", "yes", "是", "好"):
            accepted.append(p.id)
    return accepted


def run(args) -> int:
    from grader.calibration import Options, apply, calibrate, read_accept_file, write_outputs
    from grader.calibration.html import summary_text
    from grader.detectors.lexicon import default_lexicon_dir
    from grader.errors import GraderError
    from grader.options import period_of, settings_of
    from grader.store import Store

    lexicon_dir = args.lexicons or default_lexicon_dir()
    if args.adopt_model or args.rollback_model:
        return _model_file(args, lexicon_dir)
    days, period = period_of(args)
    since, until = days.iso_bounds()
    report = calibrate(Store(args.db), since, until, lexicon_dir, period=period, folds=args.folds,
                       options=Options(min_support=args.min_support), settings=settings_of(args),
                       learn=args.learn, min_labels=args.min_labels)
    from grader.privacy import masker_from_args
    html, js = write_outputs(report, args.out, masker_from_args(args))
    candidate = None
    if args.learn and report.candidate is not None and report.candidate.models:
        from pathlib import Path

        from grader.learned.model_file import save_candidate
        candidate = str(save_candidate(report.candidate, Path(args.out) / f"learned-model-{period}.joblib"))
        print(f"学习模型候选文件：{candidate}（采纳：grader calibrate --adopt-model {candidate}）", file=sys.stderr)
    print(summary_text(report), file=sys.stderr)
    from grader.rubric.fitted import running_warning
    for line in running_warning(settings_of(args).grader()):
        print(line, file=sys.stderr)
    written: list[str] = []
    accepted: list[str] = []
    if args.apply:
        if args.accept:
            accepted = read_accept_file(args.accept)
        elif report.proposals:
            accepted = _ask(report.proposals)
        try:
            written = [str(p) for p in apply(report.proposals, lexicon_dir, accepted)]
        except GraderError as exc:
            print(f"grader: {exc}", file=sys.stderr)
            return EXIT_ERROR
        if written:
            print(f"已采纳 {len(accepted)} 条建议，写入：{'，'.join(written)}；下次评分会用新词典版本", file=sys.stderr)
    print(json.dumps({"status": "ok", "period": period, "labelled_chats": report.agreement.chats,
                      "agreement": report.agreement.overall.agreement, "kappa": report.agreement.overall.kappa,
                      "proposals": [p.id for p in report.proposals], "accepted": accepted, "written": written,
                      "html": str(html), "json": str(js), "learned_candidate": candidate,
                      "learned_offered": [[e["shop"], e["item"]] for e in (report.learning or {}).get("evaluations", [])
                                          if e["offered"]]}, ensure_ascii=False))
    return EXIT_OK


def _model_file(args, lexicon_dir) -> int:
    from grader.learned import model_file
    from grader.errors import GraderError

    try:
        if args.adopt_model:
            path = model_file.adopt(args.adopt_model, lexicon_dir)
            version = model_file.load_adopted(lexicon_dir).version
            print(f"已采纳学习模型 v{version}：{path}；下次评分会用它并重新评分", file=sys.stderr)
        else:
            version = model_file.rollback(lexicon_dir)
            print(f"已回退到{'学习模型 v' + version if version else '只用规则'}", file=sys.stderr)
    except GraderError as exc:
        print(f"grader: {exc}", file=sys.stderr)
        return EXIT_ERROR
    print(json.dumps({"status": "ok", "learned_model": version}, ensure_ascii=False))
    return EXIT_OK
