"""Explanations shown: words coloured on a terminal, a self-contained HTML page, JSON Lines.

Colours follow the attribution to the explained class's logit: green pushes towards it, red away,
the stronger the larger its share of the text's largest attribution. A terminal gets ANSI colours
only when it is one (a tty) and `NO_COLOR` is unset (https://no-color.org); otherwise the same
lines in plain text. Every form also lists the strongest words, so nothing depends on colour alone.
"""

from __future__ import annotations

import html
import json
import os
from collections.abc import Mapping, Sequence

import numpy as np

from keras_restext.explain.attributions import Explanation

_ANSI = {2: "\033[1;32m", 1: "\033[32m", -1: "\033[31m", -2: "\033[1;31m"}
_RESET = "\033[0m"
STRONG = 0.5  # a share of the text's largest |attribution| at or above which a word is "strong"
WEAK = 0.15  # below it a word is left uncoloured


def use_colour(stream) -> bool:
    """Whether to colour what goes to `stream`: a tty, and `NO_COLOR` not set."""
    return bool(getattr(stream, "isatty", lambda: False)()) and "NO_COLOR" not in os.environ


def _shares(explanation: Explanation) -> np.ndarray:
    """Each unit's attribution as a share of the text's largest |attribution|, in [-1, 1]."""
    values = np.asarray(explanation.attributions, np.float64)
    largest = float(np.max(np.abs(values))) if values.size else 0.0
    return values / largest if largest > 0 else np.zeros_like(values)


def _level(share: float) -> int:
    if abs(share) < WEAK:
        return 0
    return int(np.sign(share)) * (2 if abs(share) >= STRONG else 1)


def strongest(explanation: Explanation, k: int = 3) -> str:
    """The `k` words that push hardest towards and away from the class, e.g. "+ fine 0.41, witty 0.22 | - dull -0.30"."""
    values = np.asarray(explanation.attributions)
    order = np.argsort(-values, kind="stable")
    up = [f"{explanation.units[i]} {values[i]:+.3f}" for i in order[:k] if values[i] > 0]
    down = [f"{explanation.units[i]} {values[i]:+.3f}" for i in order[::-1][:k] if values[i] < 0]
    return f"+ {', '.join(up) or '(none)'} | - {', '.join(down) or '(none)'}"


def format_terminal(explanation: Explanation, *, colour: bool) -> str:
    """Three lines: the prediction and the explained class, the text (its words coloured when
    `colour`), the strongest words."""
    words = []
    for unit, share in zip(explanation.units, _shares(explanation)):
        level = _level(share)
        words.append(f"{_ANSI[level]}{unit}{_RESET}" if colour and level else unit)
    head = (
        f"{explanation.label}\t{explanation.probability:.4f}\texplaining {explanation.class_name} "
        f"(logit {explanation.logit:+.3f} = baseline {explanation.baseline_logit:+.3f} + attributions "
        f"{sum(explanation.attributions):+.3f})"
    )
    return "\n".join([head, "  " + explanation.separator.join(words), "  " + strongest(explanation)])


def format_json(explanation: Explanation, extra: Mapping[str, object] | None = None) -> str:
    """One JSON object (a line of JSON Lines) of the explanation and any `extra` fields."""
    return json.dumps({**dict(extra or {}), **explanation.to_dict()}, ensure_ascii=False)


def _shade(share: float) -> str:
    """The background of a word: green (towards the class) or red (away), as strong as its share."""
    alpha = min(1.0, abs(share)) * 0.75
    colour = "22, 163, 74" if share > 0 else "220, 38, 38"
    return f"background: rgba({colour}, {alpha:.2f})"


def _html_text(explanation: Explanation) -> str:
    spans = []
    for unit, share, value in zip(explanation.units, _shares(explanation), explanation.attributions):
        spans.append(f'<span class="w" style="{_shade(share)}" title="{value:+.4f}">{html.escape(unit)}</span>')
    return html.escape(explanation.separator).join(spans)


_STYLE = """body{font-family:system-ui,sans-serif;margin:2em;color:#111}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.5em;text-align:left;vertical-align:top}
td:last-child{width:60%}.w{padding:0 .15em;border-radius:3px;line-height:1.9}.num{font-variant-numeric:tabular-nums;white-space:nowrap}
.legend span{display:inline-block;padding:.1em .6em;margin-right:.3em;border-radius:3px}"""


def _legend() -> str:
    steps = [-1.0, -0.5, -0.15, 0.15, 0.5, 1.0]
    swatches = "".join(f'<span style="{_shade(s)}">{s:+.2f}</span>' for s in steps)
    return (
        f'<p class="legend">{swatches} share of the text\'s largest attribution: green pushes towards the '
        "explained class, red away from it. Hover over a word for its attribution to the logit.</p>"
    )


def render_html(
    explanations: Sequence[Explanation], *, title: str = "restext explain", extra: Sequence[Mapping[str, object]] | None = None
) -> str:
    """A self-contained HTML page (no scripts, no external files): one text a row with its predicted
    label and probability, the explained class, the words shaded, and the `extra` columns of each
    row (e.g. the true label of a mistake).

    Args:
        explanations: the rows.
        title: the page's title and heading.
        extra: per row, more columns (name → value), the same names for every row.

    Returns:
        The page's HTML text.
    """
    extra = list(extra) if extra is not None else [{} for _ in explanations]
    names = list(extra[0]) if extra else []
    head = "".join(f"<th>{html.escape(str(name))}</th>" for name in names)
    rows = []
    for explanation, more in zip(explanations, extra):
        cells = "".join(f'<td class="num">{html.escape(str(more[name]))}</td>' for name in names)
        rows.append(
            f"<tr>{cells}<td>{html.escape(explanation.label)}</td><td class=\"num\">{explanation.probability:.4f}</td>"
            f"<td>{html.escape(explanation.class_name)}</td><td>{_html_text(explanation)}</td></tr>"
        )
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{_STYLE}</style></head><body><h1>{html.escape(title)}</h1>{_legend()}"
        f"<table><thead><tr>{head}<th>predicted</th><th>probability</th><th>explained class</th><th>text</th></tr>"
        f"</thead><tbody>{''.join(rows)}</tbody></table></body></html>\n"
    )


__all__ = ["format_json", "format_terminal", "render_html", "strongest", "use_colour"]
