"""The /stats chart: checks per day, stacked by match kind, as a PNG (matplotlib, Agg backend, no GUI)."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence

COLOURS = {"strong": "#2e7d32", "possible": "#f9a825", "none": "#9e9e9e"}


def checks_chart_png(rows: Sequence[tuple[dt.date, int, int, int]], *, title: str | None = None) -> bytes:
    """A stacked bar chart of (date, strong, possible, none) rows, as PNG bytes."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    dates = [row[0] for row in rows]
    strong = [row[1] for row in rows]
    possible = [row[2] for row in rows]
    none = [row[3] for row in rows]
    bottom_none = [s + p for s, p in zip(strong, possible, strict=True)]

    figure = Figure(figsize=(8, 4), dpi=100)  # a Figure without pyplot: no global state, no GUI
    axes = figure.subplots()
    positions = list(range(len(rows)))
    axes.bar(positions, strong, color=COLOURS["strong"], label="strong match")
    axes.bar(positions, possible, bottom=strong, color=COLOURS["possible"], label="possible match")
    axes.bar(positions, none, bottom=bottom_none, color=COLOURS["none"], label="no match")
    step = max(1, len(rows) // 10)
    axes.set_xticks(positions[::step], [d.strftime("%d %b") for d in dates[::step]], rotation=45, ha="right")
    axes.set_xlim(-0.5, max(len(rows), 1) - 0.5)
    axes.set_title(title or f"Checks per day, last {len(rows)} days (UTC)")
    axes.set_xlabel("Date (UTC)")
    axes.set_ylabel("Checks")
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.legend(loc="upper left")
    axes.grid(axis="y", alpha=0.3)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
