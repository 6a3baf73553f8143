"""Charts as inline SVG drawn on the server: no JavaScript, no chart library, nothing fetched;
colours come from the stylesheet through CSS classes (``series-<key>``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from markupsafe import Markup, escape

BAR_HEIGHT = 22
BAR_GAP = 6
LABEL_WIDTH = 230
BAR_WIDTH = 360
COLUMN_CHART_HEIGHT = 220


def _number(value: float) -> str:
    return f"{value:g}"


def bar_chart(
    items: Sequence[tuple[str, int]], *, css: str = "bar", keys: Sequence[str] | None = None, title: str = ""
) -> Markup:
    """Horizontal bars, largest first as given: label, bar, value."""
    if not items:
        return Markup("")
    top = max(value for _, value in items) or 1
    height = len(items) * (BAR_HEIGHT + BAR_GAP)
    width = LABEL_WIDTH + BAR_WIDTH + 60
    rows = []
    for position, (label, value) in enumerate(items):
        y = position * (BAR_HEIGHT + BAR_GAP)
        length = max(2.0, BAR_WIDTH * value / top)
        key = escape(keys[position]) if keys else "0"
        shown = label if len(label) <= 28 else label[:27] + "…"
        rows.append(
            f"<g><title>{escape(label)}: {value}</title>"
            f'<text class="chart-label" x="{LABEL_WIDTH - 8}" y="{y + BAR_HEIGHT * 0.7:g}" '
            f'text-anchor="end">{escape(shown)}</text>'
            f'<rect class="{escape(css)} series-{key}" x="{LABEL_WIDTH}" y="{y}" width="{length:.1f}" '
            f'height="{BAR_HEIGHT}" rx="3"/>'
            f'<text class="chart-value" x="{LABEL_WIDTH + length + 6:.1f}" y="{y + BAR_HEIGHT * 0.7:g}">'
            f"{value}</text></g>"
        )
    return Markup(
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-label="{escape(title)}">{"".join(rows)}</svg>'
    )


def stacked_columns(
    columns: Sequence[tuple[str, Mapping[str, int]]],
    series: Sequence[str],
    labels: Mapping[str, str],
    *,
    title: str = "",
) -> Markup:
    """One column per period, stacked by series (e.g. new cases per month by risk kind), with
    a legend; every period's total is in the tooltip."""
    if not columns:
        return Markup("")
    plot_left, plot_bottom = 40, COLUMN_CHART_HEIGHT
    step = max(8, min(40, 720 // len(columns)))
    width = plot_left + step * len(columns) + 20
    top = max(sum(counts.values()) for _, counts in columns) or 1
    scale = (COLUMN_CHART_HEIGHT - 20) / top
    parts = [
        f'<line class="axis" x1="{plot_left}" y1="{plot_bottom}" x2="{width - 10}" y2="{plot_bottom}"/>',
        f'<text class="chart-value" x="{plot_left - 6}" y="{plot_bottom - top * scale + 4:.1f}" '
        f'text-anchor="end">{top}</text>',
        f'<text class="chart-value" x="{plot_left - 6}" y="{plot_bottom + 4}" text-anchor="end">0</text>',
    ]
    label_every = max(1, len(columns) // 12)
    for index, (period, counts) in enumerate(columns):
        x = plot_left + index * step + 2
        y = float(plot_bottom)
        tip = ", ".join(f"{labels.get(name, name)} {counts[name]}" for name in series if counts.get(name))
        parts.append(f"<g><title>{escape(period)}: {escape(tip)}</title>")
        for name in series:
            value = counts.get(name, 0)
            if not value:
                continue
            height = value * scale
            y -= height
            parts.append(
                f'<rect class="series-{escape(name)}" x="{x}" y="{y:.1f}" width="{step - 4}" '
                f'height="{height:.1f}"/>'
            )
        parts.append("</g>")
        if index % label_every == 0:
            parts.append(
                f'<text class="chart-label" x="{x + (step - 4) / 2:.1f}" y="{plot_bottom + 16}" '
                f'text-anchor="middle">{escape(period)}</text>'
            )
    legend_y = plot_bottom + 36
    for index, name in enumerate(series):
        x = plot_left + index * 150
        parts.append(
            f'<rect class="series-{escape(name)}" x="{x}" y="{legend_y - 10}" width="12" height="12"/>'
            f'<text class="chart-label" x="{x + 18}" y="{legend_y}">{escape(labels.get(name, name))}</text>'
        )
    height = legend_y + 10
    return Markup(
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-label="{escape(title)}">{"".join(parts)}</svg>'
    )
