"""The plots of an export version: the training curves and the confusion matrix of every task, as
PNGs drawn on matplotlib's Agg canvas (no display, no pyplot state)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np


def _figure(width: float, height: float):
    # A bare Figure on the Agg canvas: no pyplot global state, no display needed.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(figure)
    return figure


def plot_training_curves(
    path: str,
    history: Mapping[str, Sequence[float]],
    *,
    tasks: Sequence[str] | None = None,
    kept_epoch: int | None = None,
) -> None:
    """Draws loss and accuracy per epoch (training and validation) into a PNG.

    Args:
        path: the PNG to write.
        history: metric name → one value per epoch, e.g. `{"loss": [...], "val_loss": [...]}`;
            an `epoch` column (0-based) gives the x axis.
        tasks: for a model of several tasks, the tasks whose `<task>_accuracy` (and
            `val_<task>_accuracy`) to draw, one line each, in the accuracy panel.
        kept_epoch: the 1-based epoch whose weights the model keeps (the best one with validation
            data, else the last), marked on every panel.
    """
    training_curves_figure(history, tasks=tasks, kept_epoch=kept_epoch).savefig(path)


def training_curves_figure(
    history: Mapping[str, Sequence[float]], *, tasks: Sequence[str] | None = None, kept_epoch: int | None = None
):
    """The matplotlib `Figure` that `plot_training_curves` saves (same arguments)."""
    from matplotlib.ticker import MaxNLocator

    figure = _figure(10, 4)
    accuracies = [f"{task}_accuracy" for task in tasks] if tasks else ["accuracy"]
    panels = {"loss": ["loss"], "accuracy": [name for name in accuracies if name in history or f"val_{name}" in history]}
    panels = {title: names for title, names in panels.items() if title == "loss" or names}
    count = next((len(v) for k, v in history.items() if k != "epoch"), 0)
    epochs = [int(e) + 1 for e in history.get("epoch", range(count))]
    for i, (title, names) in enumerate(panels.items(), 1):
        axes = figure.add_subplot(1, len(panels), i)
        for name in names:
            prefix = f"{name.removesuffix('_accuracy')}: " if tasks and title == "accuracy" else ""
            for key, label in ((name, "training"), (f"val_{name}", "validation")):
                if key in history and len(history[key]):
                    axes.plot(epochs, history[key], marker="o", label=prefix + label)
        if kept_epoch is not None:
            axes.axvline(kept_epoch, color="gray", linestyle="--", label=f"kept: epoch {kept_epoch}")
        axes.set_xlabel("epoch")
        if 0 < len(epochs) <= 12:  # one tick per epoch (MaxNLocator puts fractions on a single epoch)
            axes.set_xticks(epochs)
            axes.set_xlim(min(epochs) - 0.5, max(epochs) + 0.5)
        else:
            axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_title(title)
        axes.grid(alpha=0.3)
        if axes.lines:
            axes.legend()
    figure.tight_layout()
    return figure


def plot_confusion_matrix(
    path: str, matrix: Sequence[Sequence[int]], labels: Sequence[str], *, title: str = ""
) -> None:
    """Draws a confusion matrix (rows: true class, columns: predicted class) with counts into a PNG."""
    matrix = np.asarray(matrix, dtype=np.int64)
    size = min(max(4.0, 0.5 * len(labels) + 2.5), 20.0)
    figure = _figure(size + 1, size)
    axes = figure.add_subplot(1, 1, 1)
    image = axes.imshow(matrix, cmap="Blues")
    figure.colorbar(image, ax=axes, fraction=0.046, pad=0.04)
    ticks = np.arange(len(labels))
    axes.set_xticks(ticks, labels=list(labels), rotation=90 if len(labels) > 6 else 0)
    axes.set_yticks(ticks, labels=list(labels))
    axes.set_xlabel("predicted")
    axes.set_ylabel("true")
    axes.set_title(title or "confusion matrix")
    if len(labels) <= 30:
        threshold = matrix.max() / 2 if matrix.size else 0
        for (row, col), count in np.ndenumerate(matrix):
            axes.text(col, row, str(count), ha="center", va="center", fontsize=8,
                      color="white" if count > threshold else "black")
    figure.tight_layout()
    figure.savefig(path)


__all__ = ["plot_confusion_matrix", "plot_training_curves", "training_curves_figure"]
