"""The home page's activity chart, drawn on the server as inline SVG.

Opt-outs stack upwards from the middle line and opt-ins downwards, one column
per day, coloured by origin through CSS classes (the page's content security
policy allows no inline styles). Both halves share one scale so their heights
compare honestly. The page also carries the same numbers as a table.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from markupsafe import Markup, escape

from stoplist.domain.dashboard import DayActivity, Origin
from stoplist.i18n import Catalogue
from stoplist.web import labels

_WIDTH = 900
_PLOT = 220
_TOP = 20
_LEFT = 40
_BOTTOM_LABELS = 24


def activity_svg(
    days: list[DayActivity],
    words: Catalogue,
    day_label: Callable[[date], str] = date.isoformat,
    count: Callable[[int], str] = str,
) -> Markup:
    """The chart; ``day_label`` and ``count`` write dates and counts for the page's locale."""
    peak_out = max([0, *(d.total_opt_outs for d in days)])
    peak_in = max([0, *(d.total_opt_ins for d in days)])
    # One scale for both directions; opt-ins still get a visible band when rare.
    scale = _PLOT / max(peak_out + max(peak_in, peak_out * 0.3), 1)
    middle = _TOP + peak_out * scale if peak_out else _TOP + _PLOT / 2
    height = _TOP + _PLOT + _BOTTOM_LABELS
    step = (_WIDTH - _LEFT) / max(len(days), 1)
    bar = max(step * 0.8, 1.0)
    title = words.text("Opt-outs and opt-ins per day (last 90 days)")
    description = words.text(
        "Bars above the line are opt-outs, bars below are opt-ins, coloured by source."
    )
    opt_outs, opt_ins = words.text("Opt-outs"), words.text("Opt-ins")
    parts = [
        f'<svg class="chart" viewBox="0 0 {_WIDTH} {height}" role="img" '
        'aria-labelledby="chart-title chart-desc">',
        f'<title id="chart-title">{escape(title)}</title>',
        f'<desc id="chart-desc">{escape(description)}</desc>',
        f'<text class="axis" x="{_LEFT - 6}" y="{_TOP + 4}" text-anchor="end">'
        f"{escape(count(peak_out))}</text>",
        f'<text class="axis" x="{_LEFT - 6}" y="{middle + 4:.1f}" text-anchor="end">0</text>',
        f'<text class="axis" x="{_LEFT + 4}" y="{_TOP - 6}">▲ {escape(opt_outs)}</text>',
        f'<text class="axis" x="{_LEFT + 4}" y="{_TOP + _PLOT - 2}">▼ {escape(opt_ins)}</text>',
    ]
    bottom = middle + peak_in * scale
    if peak_in and bottom - middle > 14:
        parts.append(
            f'<text class="axis" x="{_LEFT - 6}" y="{bottom + 4:.1f}" text-anchor="end">'
            f"{escape(count(peak_in))}</text>"
        )
    for index, day in enumerate(days):
        x = _LEFT + index * step
        for counts, upwards in ((day.opt_outs, True), (day.opt_ins, False)):
            offset = 0.0
            for origin in Origin:
                n = counts.get(origin, 0)
                if not n:
                    continue
                size = n * scale
                y = middle - offset - size if upwards else middle + offset
                offset += size
                label = opt_outs if upwards else opt_ins
                named = labels.label(words, "origin", origin)
                tip = f"{day_label(day.day)}: {label}, {named}: {count(n)}"
                parts.append(
                    f'<rect class="o-{origin.value}" x="{x:.1f}" y="{y:.1f}" '
                    f'width="{bar:.1f}" height="{max(size, 0.5):.1f}">'
                    f"<title>{escape(tip)}</title></rect>"
                )
    parts.append(
        f'<line class="baseline" x1="{_LEFT}" y1="{middle:.1f}" x2="{_WIDTH}" y2="{middle:.1f}"/>'
    )
    if days:
        label_y = height - 4
        for index in (0, len(days) // 2, len(days) - 1):
            x = _LEFT + index * step + bar / 2
            anchor = "start" if index == 0 else "end" if index == len(days) - 1 else "middle"
            parts.append(
                f'<text class="axis" x="{x:.1f}" y="{label_y}" text-anchor="{anchor}">'
                f"{escape(day_label(days[index].day))}</text>"
            )
    parts.append("</svg>")
    return Markup("".join(parts))
