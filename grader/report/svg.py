"""Tiny inline-SVG bar charts, so reports open offline with no chart library or CDN."""
from __future__ import annotations

from html import escape

COLORS = {"优秀": "#2e7d32", "良好": "#7cb342", "合格": "#f9a825", "不合格": "#c62828"}
ROW, LABEL_W, BAR_W = 26, 190, 420


def stacked_bars(rows: list[tuple[str, list[tuple[str, float]]]], title: str) -> str:
    """One horizontal bar per row; each segment (name, value) is coloured by name; widths share one scale."""
    from grader.report.formats import text_width

    top = max((sum(v for _, v in segs) for _, segs in rows), default=0) or 1
    # the label column is as wide as the longest label (13 px type: ~6.8 px per narrow character)
    label_w = max(LABEL_W // 2, int(max((text_width(label) for label, _ in rows), default=0) * 6.8) + 16)
    height = ROW * len(rows) + 40
    parts = [f'<svg width="{label_w + BAR_W + 80}" height="{height}" '
             f'role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>']
    for n, (label, segs) in enumerate(rows):
        y = 10 + n * ROW
        parts.append(f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end" font-size="13">{escape(label)}</text>')
        x = label_w
        for name, value in segs:
            w = BAR_W * value / top
            if w > 0:
                parts.append(f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="18" fill="{COLORS.get(name, "#1565c0")}">'
                             f'<title>{escape(name)}：{value:g}</title></rect>')
            x += w
        total = sum(v for _, v in segs)
        parts.append(f'<text x="{x + 6:.1f}" y="{y + 15}" font-size="12">{total:g}</text>')
    legend_y = height - 12
    names = list(dict.fromkeys(name for _, segs in rows for name, _ in segs))
    for k, name in enumerate(names if len(names) > 1 else []):
        parts.append(f'<rect x="{label_w + k * 80}" y="{legend_y - 10}" width="12" height="12" fill="{COLORS.get(name, "#1565c0")}"/>'
                     f'<text x="{label_w + k * 80 + 16}" y="{legend_y}" font-size="12">{escape(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)
