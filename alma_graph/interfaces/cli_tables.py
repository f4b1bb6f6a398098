"""Plain-text tables for the CLI's human output (``--json`` prints the data instead)."""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Sequence
from typing import Any


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]], wrap_last: bool = False) -> str:
    """A plain-text table; the last column is cut to the terminal's width."""
    rows = [["" if v is None else str(v) for v in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]
    width = shutil.get_terminal_size((120, 24)).columns
    fixed = sum(widths[:-1]) + 2 * (len(widths) - 1)
    widths[-1] = max(len(headers[-1]), min(widths[-1], width - fixed)) if rows else widths[-1]

    def line(cells: Sequence[str]) -> str:
        last = cells[-1]
        if len(last) > widths[-1]:
            last = last[: max(1, widths[-1] - 1)] + "…"
        return "  ".join([c.ljust(w) for c, w in zip(cells[:-1], widths)] + [last]).rstrip()

    out = [line(list(headers)), line(["-" * w for w in widths])]
    out += [line(r) for r in rows]
    return "\n".join(out)


def fmt_score(value: Any) -> str:
    return f"{value:.3f}" if isinstance(value, (int, float)) else ""
