"""The main job, end to end on embedded Kuzu: ``python -m alma_graph.demo``.

A QA agent records outcomes; a heuristic and an anti-pattern appear by
themselves; a junior agent inherits from a senior one; and the memory slice an
agent would get before its next task is printed with ``to_prompt()``.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from alma_graph.alma import ALMA

AGENTS = {
    "senior_qa": {"can_learn": ["form_testing", "testing_strategy"], "share_with": []},
    "junior_qa": {"can_learn": ["form_testing"], "cannot_learn": ["production_access"], "inherit_from": ["senior_qa"]},
}


def run(storage_dir: Path) -> str:
    say = print
    with ALMA.quickstart(storage_dir, project_id="demo", agents=AGENTS) as alma:
        say(f"store: embedded Kuzu at {alma.store.location}\n")

        say("1. senior_qa records three similar successes ...")
        for task in ("Test the login form with an invalid email",
                     "Test the signup form with a malformed email",
                     "Test the password reset form with an empty email"):
            alma.learn("senior_qa", task, True, "Boundary-value tests on every input field, then the happy path",
                       task_type="form_testing", duration_ms=1800)
        [heuristic] = alma.retrieve("test a form", "senior_qa").heuristics
        say(f"   -> heuristic appeared: {heuristic.strategy!r} "
            f"(seen {heuristic.occurrence_count}x, confidence {heuristic.confidence:.2f})")

        say("2. ... and two similar failures")
        for task, error in (("Test the checkout form submit button", "Flaky: button not enabled after 2s sleep"),
                            ("Test the checkout form error banner", "Flaky: banner rendered after the fixed wait")):
            alma.learn("senior_qa", task, False, "Fixed time.sleep() waits before clicking",
                       task_type="form_testing", error_message=error)
        [anti] = alma.retrieve("test the checkout form", "senior_qa").anti_patterns
        advice = (f"instead {anti.better_alternative!r}" if anti.better_alternative
                  else "no advice yet: no heuristic is about this")  # filled when a fitting one appears
        say(f"   -> anti-pattern appeared: don't {anti.pattern!r} because {anti.why_bad!r}; {advice}")

        say("3. senior_qa knows a fact; junior_qa inherits it")
        alma.add_knowledge("senior_qa", "testing_strategy", "The staging login form locks an account after 5 failed attempts")
        alma.add_preference("dana", "reports", "Lead with the failing cases, then a one-line summary")

        say("4. junior_qa may not learn outside its scope:")
        try:
            alma.learn("junior_qa", "Reset a production password", True, "SSH into prod", task_type="production_access")
        except Exception as exc:  # the demo shows the error, it does not stop
            say(f"   -> {type(exc).__name__}: {exc}")

        task = "Test the login and checkout forms of the new admin panel"
        memories = alma.retrieve(task, "junior_qa", user_id="dana")
        say(f"\n5. junior_qa retrieves for {task!r} ({memories.retrieval_time_ms:.0f} ms):\n")
        prompt = memories.to_prompt(max_tokens=600)
        say(prompt)
        say(f"\nstats: {alma.stats()['by_kind']}")
        return prompt


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--storage-dir", type=Path, help="keep the store here (default: a temporary directory)")
    args = parser.parse_args(argv)
    if args.storage_dir:
        run(args.storage_dir)
    else:
        with tempfile.TemporaryDirectory(prefix="alma-graph-demo-") as directory:
            run(Path(directory))


if __name__ == "__main__":
    main()
