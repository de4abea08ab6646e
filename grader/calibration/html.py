"""The calibration page: an HTML body fragment for the review app, a whole offline page, JSON, text."""
from __future__ import annotations

import json
from pathlib import Path

from markupsafe import Markup

from grader.display import environment, num, pct

def _scenario_names() -> dict[str, str]:
    return {"scenario": "场景（售前/售后）"}


TERM_KINDS = {"false_positive": "误判：词命中，主管扣回分数", "excluded_in_false_negative": "漏判：词被排除规则挡掉"}
PROPOSAL_KINDS = {"add": "新增词", "remove": "删除词", "exclude": "加排除"}


def render_fragment(report) -> str:
    """The page's body: agreement, disagreements, proposals, evaluation, learned models; items,
    lexicons and detectors by their Chinese names (`report.names`)."""
    from grader.calibration.trust import MIN_LABELS, SOURCE_LABELS, interval_text

    names = {**_scenario_names(), **getattr(report, "names", {})}
    return environment().get_template("calibration/calibration_fragment.html").render(
        r=report, a=report.agreement, e=report.evaluation, pct=pct, num=num,
        kinds=TERM_KINDS, proposal_kinds=PROPOSAL_KINDS, name=lambda key: names.get(key, key),
        trust_sources=SOURCE_LABELS, ci=interval_text, min_labels=MIN_LABELS)


def trust_lines(rows) -> list[str]:
    """The trust-gate table as text lines (Chinese), for the CLI summary."""
    from grader.calibration.trust import SOURCE_LABELS, interval_text

    lines = ["  可信度门槛（工具与主管一致 vs 主管之间一致）："]
    for t in rows:
        lines.append(f"    {t.label}（{t.item}）：工具 {t.tool_n} 个标签，一致率 {interval_text(t.tool_agreement)}，Kappa "
                     f"{interval_text(t.tool_kappa, share=False)}；主管之间 {interval_text(t.human_agreement)}"
                     f"（{SOURCE_LABELS[t.human_source]}）→ {'可信' if t.trusted else '不可信'}：{t.reason}")
    return lines


def write_page(report, out_dir, masker=None) -> tuple[Path, Path]:
    """calibration-<period>.html (self-contained, offline) and calibration-<period>.json in out_dir.

    Personal information in the example messages is masked (grader.privacy; masker None: the default).
    """
    from grader.privacy import load_masker

    masker = masker if masker is not None else load_masker()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    name = f"calibration-{report.period}".replace("/", "-").replace("…", "open")
    html_path, json_path = out / f"{name}.html", out / f"{name}.json"
    body = Markup(render_fragment(report))
    page = environment().get_template("calibration/calibration_page.html").render(period=report.period, body=body)
    html_path.write_text(masker.mask(page), encoding="utf-8")  # no pattern masks markup characters
    doc = masker.mask_value(json.loads(json.dumps(report.to_dict(), ensure_ascii=False, default=str)))
    json_path.write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")
    return html_path, json_path


def summary_text(report) -> str:
    """A plain-text summary (the CLI prints it; the README quotes it)."""
    a, e = report.agreement, report.evaluation
    lines = [f"评分校准 {report.period}：{a.chats} 个有标签的会话（复核完成 {a.reviewed_chats}），{a.labels} 个项目标签",
             f"  全部项目：一致率 {pct(a.overall.agreement)}，Kappa {num(a.overall.kappa)}，"
             f"平均分差 {num(a.overall.mean_abs_diff)}；多给分 {a.overall.false_positives}，少给分 {a.overall.false_negatives}"]
    for i in a.items:
        if i.false_positives or i.false_negatives:
            lines.append(f"  {i.label}（{i.item}）：一致率 {pct(i.agreement)}，Kappa {num(i.kappa)}，平均分差 "
                         f"{num(i.mean_abs_diff)}；多给分 {i.false_positives}，少给分 {i.false_negatives}"
                         f"（其中无词命中 {i.no_term_false_negatives}）")
            for t in i.terms[:5]:
                lines.append(f"    {TERM_KINDS[t.kind]}：{t.lexicon or t.detector}/{t.term} × {t.chats}"
                             + (f"，例：{t.examples[0].text}" if t.examples else ""))
    lines += trust_lines(getattr(report, "trust", []))
    if report.proposals:
        lines.append("  建议：")
        for p in report.proposals:
            ev = p.evaluation or {}
            held = (f"留出一致率 {pct(ev.get('before_agreement'))} → {pct(ev.get('after_agreement'))}，"
                    f"{ev.get('folds_chosen', 0)}/{ev.get('folds', 0)} 折选中"
                    if ev.get("before_agreement") is not None else "交叉验证中未选中")
            lines.append(f"    [{p.id}] {PROPOSAL_KINDS[p.kind]}：支持 {p.support}，反例 {p.against}；{held}"
                         + (f"；例：{p.examples[0].text}" if p.examples else ""))
    else:
        lines.append("  没有建议")
    for i in (e.items if e else []):
        if i.before_agreement != i.after_agreement:
            lines.append(f"  {e.folds} 折交叉验证 · {i.label}（{i.n} 个留出标签）：一致率 {pct(i.before_agreement)} → "
                         f"{pct(i.after_agreement)}，Kappa {num(i.before_kappa)} → {num(i.after_kappa)}，"
                         f"平均分差 {num(i.before_mean_abs_diff)} → {num(i.after_mean_abs_diff)}")
    if e and e.overall:
        lines.append(f"  {e.folds} 折交叉验证（词典相关项目，{e.overall.n} 个标签）：一致率 "
                     f"{pct(e.overall.before_agreement)} → {pct(e.overall.after_agreement)}，Kappa "
                     f"{num(e.overall.before_kappa)} → {num(e.overall.after_kappa)}")
    for m in (report.learning or {}).get("evaluations", []):
        lines.append(f"  学习模型 · {m['shop'] or '（未写店铺）'}/{m['item']}（{m['n']} 个标签）：规则 {pct(m['rules'])} → 模型 "
                     f"{pct(m['model'])}；{'推荐采纳' if m['offered'] else '不推荐'}：{m['reason']}")
    return "\n".join(lines)
