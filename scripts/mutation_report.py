"""Survivors per module after `scripts/mutation.sh` (reads mutmut's results in mutants/).

Arguments: the mutant-name globs of the run (only those mutants are counted).
Writes the names of the mutants it checked to mutants/checked.txt (for MUTATION_NAMES_FILE)."""

from __future__ import annotations

import fnmatch
import json
import sys
from collections import Counter
from pathlib import Path

from mutmut.stats import status_by_exit_code

STATUSES = ("killed", "survived", "timeout", "no tests", "not checked")


def main(*samples: str) -> int:
    samples = samples or ("*",)
    checked = []
    rows = []
    survivors = []
    for meta in sorted(Path("mutants").rglob("*.py.meta")):
        codes = {name: code for name, code in json.loads(meta.read_text())["exit_code_by_key"].items()
                 if any(fnmatch.fnmatch(name, s) for s in samples)}
        if not codes:
            continue
        counts = Counter(status_by_exit_code[code] for code in codes.values())
        module = str(meta.relative_to("mutants"))[: -len(".py.meta")].replace("/", ".")
        rows.append((module, counts))
        checked += sorted(name for name, code in codes.items() if code is not None)
        survivors += sorted(name for name, code in codes.items() if status_by_exit_code[code] == "survived")
    if not rows:
        print("no mutation results in mutants/")
        return 1
    Path("mutants/checked.txt").write_text("".join(f"{name}\n" for name in checked))
    print(f"{'module':32}" + "".join(f"{s:>13}" for s in STATUSES))
    for module, counts in rows:
        print(f"{module:32}" + "".join(f"{counts.get(s, 0):>13}" for s in STATUSES))
    print("\nsurviving mutants (`.venv/bin/mutmut show NAME` prints the change):")
    print("\n".join(f"  {name}" for name in survivors) or "  none")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
