"""Reporting, the same way in every benchmark: figures as JSON in bench/results/<name>.json,
bar charts as PNG beside them (matplotlib, no display needed), and a plain listing on stdout."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

# Committed: docs quote these files (scale-suffixed copies are git-ignored).
RESULTS = Path(__file__).resolve().parent / "results"


def write_json(name: str, result: dict) -> Path:
    """bench/results/<name>.json, indented."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    return path


def print_figures(figures: dict) -> None:
    """One `key  value` line per figure."""
    for key, value in figures.items():
        print(f"{key:32} {value}", flush=True)


@dataclass
class Bars:
    """One panel of a chart: a bar per label."""

    title: str
    labels: list[str]
    values: list[float]
    rotate: int = 0  # degrees, for many or long labels


def bar_charts(name: str, panels: list[Bars]) -> Path:
    """bench/results/<name>.png: the panels side by side."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    RESULTS.mkdir(exist_ok=True)
    fig, axes = plt.subplots(1, len(panels), figsize=(13 / 3 * len(panels), 4), squeeze=False)
    for ax, panel in zip(axes[0], panels, strict=True):
        ax.bar(panel.labels, panel.values)
        ax.set_title(panel.title)
        if panel.rotate:
            ax.tick_params(axis="x", labelrotation=panel.rotate)
            for label in ax.get_xticklabels():
                label.set_horizontalalignment("right")
    fig.tight_layout()
    path = RESULTS / f"{name}.png"
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
