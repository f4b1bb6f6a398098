"""The tool table of docs/mcp.md, generated from the registry (``alma_graph.interfaces.tools.TOOLS``).

    python -m alma_graph.mcp.tool_table docs/mcp.md    # rewrite the table between its markers

The table sits between ``<!-- tools:start -->`` and ``<!-- tools:end -->``; the test suite
fails when it differs from what this renders, so a new tool cannot go undocumented.
"""

from __future__ import annotations

import inspect
import re
import sys
from pathlib import Path

from alma_graph.interfaces.tools import TOOLS, ToolSpec

START, END = "<!-- tools:start -->", "<!-- tools:end -->"


def _arguments(spec: ToolSpec) -> str:
    names = [f"**{p.name}**" if p.default is inspect.Parameter.empty else p.name for p in spec.parameters()]
    return ", ".join(names) or "—"


def _summary(spec: ToolSpec) -> str:
    """The description's first sentence, on one line."""
    text = " ".join(spec.description.split())
    match = re.match(r"(.+?[.!?])(?:\s|$)", text)
    return (match.group(1) if match else text).replace("|", "\\|")


def _hints(spec: ToolSpec) -> str:
    hints = [name for name, on in (("read-only", spec.read_only), ("destructive", spec.destructive),
                                   ("idempotent", spec.idempotent)) if on]
    return ", ".join(hints)


def render() -> str:
    """The Markdown table: one row per registered tool, in registration order."""
    rows = ["| tool | arguments (required in bold) | what it does | hints |", "|---|---|---|---|"]
    rows += [f"| `{spec.name}` | {_arguments(spec)} | {_summary(spec)} | {_hints(spec)} |" for spec in TOOLS.values()]
    return "\n".join(rows)


def documented(markdown: str) -> str:
    """The table currently between the markers of a document."""
    match = re.search(re.escape(START) + r"\n(.*?)\n" + re.escape(END), markdown, flags=re.S)
    if match is None:
        raise ValueError(f"no {START} ... {END} section")
    return match.group(1)


def rewrite(path: Path) -> bool:
    """Put the rendered table into ``path``; whether anything changed."""
    text = path.read_text(encoding="utf-8")
    documented(text)  # the markers must be there
    new = re.sub(re.escape(START) + r"\n.*?\n" + re.escape(END), lambda _: f"{START}\n{render()}\n{END}", text,
                 count=1, flags=re.S)
    if new != text:
        path.write_text(new, encoding="utf-8")
    return new != text


if __name__ == "__main__":  # pragma: no cover
    for name in sys.argv[1:] or ["docs/mcp.md"]:
        print(f"{name}: {'updated' if rewrite(Path(name)) else 'up to date'}")
