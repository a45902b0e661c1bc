"""
The throughput chart: requests per second against concurrency, one line per client.

``save_chart`` needs matplotlib (the ``bench`` dependency group) and raises
``ModuleNotFoundError`` without it; the caller says so in its section instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from pathlib import Path


class Point(NamedTuple):
    """One client at one concurrency: the median req/s and the range over the repeats."""

    concurrency: int
    median: float
    low: float
    high: float


def save_chart(path: Path, series: Mapping[str, Sequence[Point]], title: str) -> None:
    """Draw req/s (median, with min-max error bars) against concurrency on a log x axis."""
    import matplotlib as mpl  # noqa: PLC0415 - optional: only this function needs it

    mpl.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415 - after choosing the Agg backend

    figure, axes = plt.subplots(figsize=(7, 4.5), dpi=120)
    for client, points in series.items():
        ordered = sorted(points)
        x = [p.concurrency for p in ordered]
        y = [p.median for p in ordered]
        errors = [[p.median - p.low for p in ordered], [p.high - p.median for p in ordered]]
        axes.errorbar(x, y, yerr=errors, marker="o", capsize=3, label=client)
    concurrencies = sorted({p.concurrency for points in series.values() for p in points})
    axes.set_xscale("log")
    axes.set_xticks(concurrencies, [str(c) for c in concurrencies])
    axes.minorticks_off()
    axes.set_xlabel("concurrent requests (workers on one event loop)")
    axes.set_ylabel("requests per second (median, min-max)")
    axes.set_ylim(bottom=0)
    axes.set_title(title)
    axes.grid(visible=True, which="major", alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
