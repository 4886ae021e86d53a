"""Bar and line charts as small SVG documents, drawn here rather than by matplotlib.

See docs/design.md#the-analytics-page.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

WIDTH, HEIGHT = 900, 260  # about the width it is shown at, so its text is the size of the page's
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 30, 28  # room for the y labels, the legend and the x labels
CHARACTER = 7  # px, about, of a digit at font-size 12
FONT = "system-ui, -apple-system, 'Segoe UI', 'Noto Sans CJK SC', 'WenQuanYi Micro Hei', sans-serif"
GRID, INK, MUTED = "#e3e7ec", "#1d2430", "#5a6678"
ZERO_STUB = 2  # px: the height of a bar of 0
HOVER_STEP = 0.001  # a value under the pointer: one decimal of its per cent

Values = Sequence[float | None]  # None: nothing to draw there (a day without searches), which is not 0


def bar_chart(title: str, labels: Sequence[str], values: Values, colour: str, percent: bool, empty: str) -> str:
    """One bar a label; None leaves its slot empty, while a 0 gets a stub: measured, and nothing."""
    top, step = _scale([v for v in values if v is not None], percent)
    parts = _frame(title, labels, top, step, percent, empty)
    slot = _slot(len(labels))
    for index, value in enumerate(values):
        if value is None:
            continue
        height = max(_y(0, top) - _y(value, top), ZERO_STUB)
        x = LEFT + index * slot + slot * 0.15
        text = escape(f"{labels[index]}: {_tick(value, percent, HOVER_STEP)}")
        parts.append(
            f'<rect x="{x:.1f}" y="{_y(0, top) - height:.1f}" width="{max(slot * 0.7, 0.5):.1f}" height="{height:.1f}" '
            f'fill="{colour}"><title>{text}</title></rect>'
        )
    return _document(title, parts)


def line_chart(title: str, labels: Sequence[str], series: Sequence[tuple[str, str, Values]], empty: str) -> str:
    """Rates (0..1) as lines, one (name, colour, values) each with its legend; a None breaks the line."""
    present = [v for _, _, values in series for v in values if v is not None]
    top, step = _scale(present, True)
    parts = _frame(title, labels, top, step, True, empty if not present else "")
    slot = _slot(len(labels))
    legend_x = LEFT
    for name, colour, values in series:
        parts.append(
            f'<line x1="{legend_x}" y1="14" x2="{legend_x + 18}" y2="14" stroke="{colour}" stroke-width="3"/>'
            f'<text x="{legend_x + 24}" y="18" fill="{INK}">{escape(name)}</text>'
        )
        legend_x += 40 + 8 * len(name) * (2 if any(ord(c) > 0x2E80 for c in name) else 1)
        run: list[str] = []
        for index, value in enumerate([*values, None]):
            if value is None:  # the end of a run of days with a rate
                if len(run) > 1:
                    parts.append(f'<polyline points="{" ".join(run)}" fill="none" stroke="{colour}" stroke-width="2"/>')
                run = []
                continue
            x, y = LEFT + (index + 0.5) * slot, _y(value, top)
            run.append(f"{x:.1f},{y:.1f}")
            text = escape(f"{labels[index]} {name}: {_tick(value, True, HOVER_STEP)}")
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"><title>{text}</title></circle>')
    return _document(title, parts)


def _frame(title: str, labels: Sequence[str], top: float, step: float, percent: bool, empty: str) -> list[str]:
    """Gridlines with their values, the x labels (every k-th where there are many), and the note for no data."""
    parts = []
    for n in range(round(top / step) + 1):
        value = n * step
        y, tick = _y(value, top), _tick(value, percent, step)
        parts.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="{GRID}"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" fill="{MUTED}">{tick}</text>'
        )
    slot = _slot(len(labels))
    # as many labels as fit side by side at about 7 px a character: all 20 positions, every third of 30 days
    widest = max((len(label) for label in labels), default=1) * CHARACTER + 10
    every = max(1, math.ceil(len(labels) / max(1, (WIDTH - LEFT - RIGHT) // widest)))
    for index in range(0, len(labels), every):
        x = LEFT + (index + 0.5) * slot
        parts.append(
            f'<text x="{x:.1f}" y="{HEIGHT - 8}" text-anchor="middle" fill="{MUTED}">{escape(labels[index])}</text>'
        )
    if empty:
        middle = (TOP + HEIGHT - BOTTOM) / 2
        parts.append(
            f'<text x="{(LEFT + WIDTH - RIGHT) / 2}" y="{middle}" text-anchor="middle" fill="{MUTED}">'
            f"{escape(empty)}</text>"
        )
    return parts


def _document(title: str, parts: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" font-family="{FONT}" font-size="12"><title>{escape(title)}</title>'
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>' + "".join(parts) + "</svg>"
    )


def _scale(values: Sequence[float], percent: bool) -> tuple[float, float]:
    """(top of the axis, step between gridlines): a round step of 1, 2 or 5 times a power of ten, about four of
    them to the largest value; counts step by whole numbers, rates stop at 100 %."""
    largest = max(values, default=0.0)
    if largest <= 0:
        return (0.1, 0.025) if percent else (4.0, 1.0)
    rough = largest / 4
    power = 10 ** math.floor(math.log10(rough))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= rough)
    if not percent:
        step = max(1.0, round(step))
    top = step * math.ceil(largest / step - 1e-9)
    return (min(top, 1.0), step) if percent else (top, step)


def _tick(value: float, percent: bool, step: float) -> str:
    if not percent:
        return f"{value:,.0f}"
    whole = abs(step * 100 - round(step * 100)) < 1e-9  # 2.5 % steps need their decimal, 5 % ones do not
    return f"{value * 100:.{0 if whole else 1}f}%"


def _slot(count: int) -> float:
    return (WIDTH - LEFT - RIGHT) / max(count, 1)


def _y(value: float, top: float) -> float:
    return TOP + (HEIGHT - TOP - BOTTOM) * (1 - value / top)
