"""An analytics report drawn as one PNG: searches and rates by day above, click-through by position below.

Drawn on a bare matplotlib Figure, not pyplot, so it keeps no global state and needs no display.
"""

from __future__ import annotations

from pathlib import Path

from events.analytics import Report

NAVY, ORANGE, BLUE = "#1f3b57", "#f0a23b", "#1f6fb2"
MAX_TICKS = 10  # day labels on the x axis; the others are left out


def write_chart(report: Report, path: Path) -> Path:
    from matplotlib.figure import Figure
    from matplotlib.ticker import PercentFormatter

    figure = Figure(figsize=(10, 7), layout="constrained")
    by_day, by_position = figure.subplots(2, 1, height_ratios=(3, 2))

    days = report.days
    x = range(len(days))
    by_day.bar(x, [day.searches for day in days], color=NAVY, alpha=0.35, label="searches")
    by_day.set_ylabel("searches a day")
    step = max(1, -(-len(days) // MAX_TICKS))
    by_day.set_xticks(list(x)[::step], [day.day[5:] for day in days][::step])
    rates = by_day.twinx()
    lines = (("click_through", "click-through", BLUE), ("zero_result_share", "zero results", ORANGE))
    for name, label, colour in lines:
        values = [getattr(day, name) for day in days]
        # a day without searches has no rate: nan leaves a gap in the line rather than a fall to 0
        rates.plot(x, [float("nan") if v is None else v for v in values], marker="o", color=colour, label=label)
    rates.set_ylim(0, 1)
    rates.yaxis.set_major_formatter(PercentFormatter(1.0))
    handles = by_day.get_legend_handles_labels()[0] + rates.get_legend_handles_labels()[0]
    by_day.legend(handles, [handle.get_label() for handle in handles], loc="upper left", fontsize="small")
    first, last = (days[0].day, days[-1].day) if days else ("", "")
    by_day.set_title(f"Searches by day (UTC), {first} to {last}" if days else "No searches in this period")

    positions = report.positions
    by_position.bar(
        [p.position for p in positions], [p.click_through or 0.0 for p in positions], color=BLUE, label="click-through"
    )
    by_position.set_xticks([p.position for p in positions])
    by_position.set_ylim(0, max([0.1, *(p.click_through or 0.0 for p in positions)]) * 1.1)
    by_position.yaxis.set_major_formatter(PercentFormatter(1.0))
    by_position.set_xlabel("position")
    by_position.set_title("Click-through by position: searches that clicked the result there / searches that showed it")
    figure.savefig(path, dpi=100)
    return path
