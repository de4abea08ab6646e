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


LINE_COLORS = ["#1565c0", "#c62828", "#2e7d32", "#f9a825", "#6a1b9a", "#00838f", "#ef6c00", "#5d4037"]


def line_chart(series: dict[str, list[tuple[str, float | None]]], title: str, low: float = 0, high: float = 100,
               guides: list[tuple[float, str]] | None = None) -> str:
    """One line per series over shared x labels (e.g. months); None leaves a gap. Values are placed on
    a fixed low..high scale; `guides` draws dashed horizontal lines (value, label) such as band limits."""
    labels = list(dict.fromkeys(x for points in series.values() for x, _ in points))
    left, top, width, height = 40, 20, max(240, 90 * len(labels)), 220
    legend_h = 18 * len(series)
    parts = [f'<svg width="{left + width + 200}" height="{top + height + 40 + legend_h}" role="img" '
             f'aria-label="{escape(title)}"><title>{escape(title)}</title>']

    def y(v: float) -> float:
        return top + height * (1 - (min(max(v, low), high) - low) / (high - low or 1))

    def x(i: int) -> float:
        return left + (width * (i + 0.5) / len(labels) if labels else 0)

    for value, name in guides or []:
        parts.append(f'<line x1="{left}" x2="{left + width}" y1="{y(value):.1f}" y2="{y(value):.1f}" stroke="#bbb" '
                     f'stroke-dasharray="4 3"/><text x="{left + width + 4}" y="{y(value) + 4:.1f}" font-size="11" '
                     f'fill="#777">{escape(name)} {value:g}</text>')
    parts.append(f'<line x1="{left}" x2="{left}" y1="{top}" y2="{top + height}" stroke="#888"/>')
    for v in (low, (low + high) / 2, high):
        parts.append(f'<text x="{left - 4}" y="{y(v) + 4:.1f}" text-anchor="end" font-size="11">{v:g}</text>')
    for i, label in enumerate(labels):
        parts.append(f'<text x="{x(i):.1f}" y="{top + height + 16}" text-anchor="middle" font-size="12">{escape(label)}</text>')
    for n, (name, points) in enumerate(series.items()):
        color = LINE_COLORS[n % len(LINE_COLORS)]
        at = {label: v for label, v in points}
        run: list[str] = []
        for i, label in enumerate(labels):
            v = at.get(label)
            if v is None:
                if len(run) > 1:
                    parts.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{" ".join(run)}"/>')
                run = []
                continue
            run.append(f"{x(i):.1f},{y(v):.1f}")
            parts.append(f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3.5" fill="{color}">'
                         f'<title>{escape(name)} {escape(label)}：{v:g}</title></circle>')
        if len(run) > 1:
            parts.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{" ".join(run)}"/>')
        ly = top + height + 34 + 18 * n
        parts.append(f'<rect x="{left}" y="{ly - 10}" width="12" height="12" fill="{color}"/>'
                     f'<text x="{left + 16}" y="{ly}" font-size="12">{escape(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)
