"""Survivors per module after `scripts/mutation.sh` (reads mutmut's results in mutants/).

Argument: the mutant-name glob of the run (only those mutants are counted)."""

from __future__ import annotations

import fnmatch
import json
import sys
from collections import Counter
from pathlib import Path

from mutmut.stats import status_by_exit_code

STATUSES = ("killed", "survived", "timeout", "no tests", "not checked")


def main(sample: str = "*") -> int:
    rows = []
    survivors = []
    for meta in sorted(Path("mutants").rglob("*.py.meta")):
        codes = {name: code for name, code in json.loads(meta.read_text())["exit_code_by_key"].items()
                 if fnmatch.fnmatch(name, sample)}
        if not codes:
            continue
        counts = Counter(status_by_exit_code[code] for code in codes.values())
        module = str(meta.relative_to("mutants"))[: -len(".py.meta")].replace("/", ".")
        rows.append((module, counts))
        survivors += sorted(name for name, code in codes.items() if status_by_exit_code[code] == "survived")
    if not rows:
        print("no mutation results in mutants/")
        return 1
    print(f"{'module':32}" + "".join(f"{s:>13}" for s in STATUSES))
    for module, counts in rows:
        print(f"{module:32}" + "".join(f"{counts.get(s, 0):>13}" for s in STATUSES))
    print("\nsurviving mutants (`.venv/bin/mutmut show NAME` prints the change):")
    print("\n".join(f"  {name}" for name in survivors) or "  none")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
