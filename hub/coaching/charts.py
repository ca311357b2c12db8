"""Bar charts drawn on the server as inline SVG: no script, no library, no file fetched.

Each chart names itself (<title>) and says what it shows (<desc>), both tied to it with
aria-labelledby, and every bar carries its number as text, so colour is never the only cue.
Pages also print the same figures as a table (the text equivalent). In a right-to-left page
the bars run from right to left, as the reader reads time.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape

BAR_WIDTH = 40
GAP = 10
PLOT_HEIGHT = 120
TOP = 18  # room for the numbers over the bars
BOTTOM = 22  # room for the labels under them
BAR_COLOUR = "#0b5d4b"  # the hub's brand green: contrast 7.9:1 on its paper colour
INK = "#1b1b1b"


@dataclass(frozen=True)
class Bar:
    label: str  # as the table beside the chart shows it
    value: int
    short: str = ""  # as the chart shows it under the bar, when the label is too long there

    @property
    def axis_label(self) -> str:
        return self.short or self.label


def bar_chart(chart_id: str, title: str, description: str, bars: list[Bar], rtl: bool = False) -> Markup:
    """An SVG bar chart; `chart_id` must be unique on the page (it ties the title and description)."""
    width = GAP + len(bars) * (BAR_WIDTH + GAP)
    height = TOP + PLOT_HEIGHT + BOTTOM
    top_value = max((bar.value for bar in bars), default=0) or 1
    parts = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}"'
        f' width="{width}" height="{height}" role="img" aria-labelledby="{chart_id}-title {chart_id}-desc">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
        f'<line x1="0" y1="{TOP + PLOT_HEIGHT}" x2="{width}" y2="{TOP + PLOT_HEIGHT}" stroke="{INK}"/>',
    ]
    for index, bar in enumerate(bars):
        slot = len(bars) - 1 - index if rtl else index
        x = GAP + slot * (BAR_WIDTH + GAP)
        middle = x + BAR_WIDTH / 2
        tall = round(PLOT_HEIGHT * bar.value / top_value)
        y = TOP + PLOT_HEIGHT - tall
        parts.append(
            f'<g><rect x="{x}" y="{y}" width="{BAR_WIDTH}" height="{tall}" fill="{BAR_COLOUR}"/>'
            f'<text x="{middle:g}" y="{y - 4}" text-anchor="middle" font-size="11" fill="{INK}">'
            f"{bar.value}</text>"
            f'<text x="{middle:g}" y="{height - 6}" text-anchor="middle" font-size="10" fill="{INK}">'
            f"{escape(bar.axis_label)}</text></g>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))
