"""Rules that sort sentences into ALMA's memory kinds — no model, no LLM.

Applied sentence by sentence to prose (never inside fenced code), in this order:

1. **outcome** (written with ``learn``), only with a clear task, strategy and
   result: "I fixed / solved / resolved <task> by <doing something>" (success), "We tried <strategy> to
   <task> but it failed / didn't work" (failure), "Using <strategy> to <task>
   worked" (success).
2. **anti_pattern**: a failure signal (failed, broke, crashed, doesn't work,
   flaky, timed out, ...) with a reason ("because ...") or an alternative
   ("... instead", "use Y", "switch to Y") in the same or the next sentence; or
   advice against something with a reason ("Don't / Never / Avoid X because Y").
   The pattern is the subject of the failure, ``why_bad`` the reason (or the
   failure itself), ``better_alternative`` the alternative when one is given.
3. **preference** (user turns only, never a question): "I prefer / I'd rather",
   "I like it when / I hate / I don't like", "Always / Never <instruction verb> ..." at the start or after a clause ("Looks good, but always use ..."),
   "please don't / please always / please use", "from now on ...", "my
   preference ..."; the category comes from keywords (testing, code_style,
   workflow, tools, communication, else general).

Whatever no rule takes stays in the text and becomes domain knowledge, tagged
``procedure`` when it reads like a how-to ("how to", "steps", "fixed by", "worked").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from alma_graph.ingest.chunking import _FENCE, _sentence_spans, paragraphs
from alma_graph.models import MemoryKind

MAX_SENTENCE_CHARS = 1000  # longer "sentences" are unpunctuated dumps, not statements
_I = re.IGNORECASE

# -- outcome ------------------------------------------------------------------------
_PRESENT = {"fixed": "fix", "solved": "solve", "resolved": "resolve", "sped up": "speed up", "unblocked": "unblock",
            "repaired": "repair", "worked around": "work around"}
_OUTCOME_SUCCESS = re.compile(
    r"^(?:finally,?\s+)?(?:i|we)\s+(?:finally\s+)?(fixed|solved|resolved|sped up|unblocked|repaired|worked around)\s+"
    r"(?P<task>.{3,300}?)\s+by\s+(?P<strategy>[a-z]+ing\b.{0,400}?)[.!]*$", _I)
_OUTCOME_FAILURE = re.compile(
    r"^(?:i|we)\s+tried\s+(?P<strategy>.{3,400}?)\s+(?:to|for)\s+(?P<task>.{3,300}?),?\s+but\s+(?:it\s+|that\s+)?"
    r"(?:failed|didn't work|did not work|still failed|made (?:it|things) worse|broke\b)(?P<rest>.*?)[.!]*$", _I)
_OUTCOME_WORKED = re.compile(
    r"^(?P<strategy>(?:using|switching to|adding|setting|running|pinning|upgrading to|downgrading to)\s+.{3,300}?)\s+"
    r"to\s+(?P<task>.{3,300}?)\s+(?:worked|fixed it|solved it|did the trick)\b.*$", _I)

# -- anti-pattern -------------------------------------------------------------------
_FAILURE = re.compile(
    r"\b(?:fail(?:s|ed|ing)?|broke|breaks|crash(?:es|ed)?|errors? out|errored|threw|throws|times? out|timed out|"
    r"hangs?|hung|(?:does|did|do)(?:n't| not) work|is flaky|are flaky|was flaky|were flaky|flaky|leaks?|leaked|"
    r"deadlock(?:s|ed)?|corrupt(?:s|ed))\b", _I)
_REASON = re.compile(r"\b(?:because|since|due to|which (?:causes|caused|leads to|led to))\b\s*(?P<why>.*)$", _I)
_ALTERNATIVE = re.compile(
    r"(?:\buse\s+(?P<a>.+?)\s+instead\b|\binstead,?\s+(?:use\s+|try\s+|we\s+|you should\s+)?(?P<b>.+)$|"
    r"\bswitch(?:ed)?\s+to\s+(?P<c>.+)$|\bthe fix (?:is|was) to\s+(?P<d>.+)$|\bbetter to\s+(?P<e>.+)$|"
    r"^use\s+(?P<f>.+)$|(?:^|[;—]\s*)(?P<h>[A-Za-z][^;:—]{2,300}?),?\s+instead[.!]?$)", _I)
_QUOTED = re.compile(r'"[^"\n]*"|“[^”\n]*”|`[^`\n]*`')
_ACTION = re.compile(r"^(?:[A-Za-z]+ing|to)\b", _I)  # "Raising ...", "Using ...", "To ..."
_DETERMINERS = [[w] for w in ("a", "an", "the", "any", "every", "each", "no", "this", "that", "A", "An", "The", "Any", "No")]
_ADVICE = re.compile(r"^(?:please\s+)?(?:don't|do not|never|avoid|stop)\s+(?!forget|worry|hesitate|give up|mind)(?P<what>.+?)\s*[,;:—-]?\s*"
                     r"\b(?:because|since|due to)\b\s*(?P<why>.+)$", _I)

# -- preference ---------------------------------------------------------------------
# Verbs that make "Always ..." / "Never ..." an instruction ("Never give up!" is not one).
_DIRECTIVES = ["use", "write", "add", "run", "include", "ask", "check", "keep", "test", "put", "reply", "answer",
               "respond", "commit", "push", "merge", "make", "call", "format", "explain", "show", "start", "end",
               "document", "review", "return", "name", "mention", "cite", "confirm", "sign", "wrap", "send",
               "delete", "remove", "change", "edit", "modify", "touch", "install", "deploy", "store", "log", "print",
               "hardcode", "hard-code", "expose", "share", "summarize", "summarise", "translate", "open", "close",
               "squash", "rebase", "tag", "pin", "upgrade", "update", "double-check", "prefer", "default", "type",
               "give me", "tell me", "read", "save", "create", "leave", "skip", "assume", "guess", "refactor", "rename"]
_PREFERENCE = re.compile(
    r"(?:\bi(?:'d| would)?\s+(?:really\s+|strongly\s+|much\s+|generally\s+)?(?:prefer|rather)\b|"
    r"\bi\s+(?:really\s+)?(?:hate|dislike|can't stand|cannot stand|(?:don't|do not) like|(?:don't|do not) want you to)\b|"
    r"\bi\s+(?:really\s+)?(?:like|love)\s+(?:it when|when|my|to|having|using)\b|"
    # at the start, or after a clause mid-turn: "Looks good, but always use type hints"
    r"(?:^|[,;:—–]\s*|\s-\s|\b(?:but|and|so|also|btw|oh)\s+)(?:please\s+)?(?:always|never)\s+(?:"
    + "|".join(_DIRECTIVES) + r")\b|"
    r"\bplease\s+(?:don't|do not|never|always|avoid|stop|keep|use|make sure|try to|write|answer|respond)\b|"
    r"\b(?:from now on|going forward|in (?:the )?future),?\s+(?:please\s+)?\w+|"
    r"\bmy\s+(?:preference|preferred)\b|"
    r"^(?:don't|do not|avoid)\s+(?:ever\s+)?(?:use|using|add|adding|write|writing|put|include|make|commit|push|call|leave)\b)", _I)
CATEGORIES: list[tuple[str, re.Pattern]] = [
    ("testing", re.compile(r"\b(?:tests?|testing|pytest|unittest|coverage|jest|mocks?|fixtures?)\b", _I)),
    ("code_style", re.compile(
        r"\b(?:indent\w*|tabs?|spaces|naming|camel ?case|snake_case|type hints?|typing|docstrings?|comments?|lint\w*|"
        r"formatt?er|black|prettier|style|line length|semicolons?|variable names?|f-strings?|quotes|imports?)\b", _I)),
    ("workflow", re.compile(r"\b(?:commits?|branch\w*|PRs?|pull requests?|reviews?|merge\w*|deploy\w*|releases?|"
                            r"push\w*|git|CI|rebase\w*)\b", _I)),
    ("tools", re.compile(r"\b(?:library|libraries|framework|package manager|packages?|editor|IDE|vim|vs ?code|docker|"
                         r"pip|npm|yarn|pnpm|poetry|uv|tools?|dependenc(?:y|ies)|database|postgres\w*|mysql|sqlite|redis|kubernetes)\b", _I)),
    ("communication", re.compile(r"\b(?:answers?|repl(?:y|ies)|respon(?:d|ses?)|explain\w*|concise|brief|short|verbose|"
                                 r"detail\w*|tone|emojis?|bullets?|summar\w+|markdown|wording|jargon|language)\b", _I)),
]
_PROCEDURE = re.compile(r"\b(?:how to|steps?\b|step \d|first,|fixed by|worked|to fix|the fix|run `)", _I)


@dataclass
class Extraction:
    """One memory a rule found: its kind, the ALMA call's fields, and the sentences it took."""

    kind: MemoryKind
    fields: dict[str, Any]
    text: str
    rule: str


@dataclass
class Classified:
    extractions: list[Extraction] = field(default_factory=list)
    remainder: str = ""  # the text no rule took, original formatting kept


def preference_category(text: str) -> str:
    for name, pattern in CATEGORIES:
        if pattern.search(text):
            return name
    return "general"


def is_procedure(text: str) -> bool:
    return bool(_PROCEDURE.search(text))


def _clean(text: str) -> str:
    return text.strip().strip(" ,;:—-").rstrip(".!").strip()


def _outcome(sentence: str) -> Extraction | None:
    body = sentence.strip()
    match = _OUTCOME_SUCCESS.match(body)
    if match:
        verb = match.group(1).lower()
        task = f"{_PRESENT.get(verb, verb)} {_clean(match.group('task'))}"
        return Extraction(MemoryKind.OUTCOME, {"task": task, "strategy_used": _clean(match.group("strategy")),
                                               "outcome": True}, sentence, "fixed_by")
    match = _OUTCOME_FAILURE.match(body)
    if match:
        rest = _clean(match.group("rest"))
        reason = _REASON.search(rest)
        fields = {"task": _clean(match.group("task")), "strategy_used": _clean(match.group("strategy")), "outcome": False}
        if reason and _clean(reason.group("why")):
            fields["error_message"] = _clean(reason.group("why"))
        elif rest:
            fields["error_message"] = rest
        return Extraction(MemoryKind.OUTCOME, fields, sentence, "tried_but_failed")
    match = _OUTCOME_WORKED.match(body)
    if match:
        return Extraction(MemoryKind.OUTCOME, {"task": _clean(match.group("task")),
                                               "strategy_used": _clean(match.group("strategy")), "outcome": True},
                          sentence, "using_worked")
    return None


def _alternative(text: str) -> str | None:
    match = _ALTERNATIVE.search(text)
    if not match:
        return None
    value = next((g for g in match.groups() if g), "")
    value = re.sub(r"^(?:next time|in future|from now on),?\s+", "", _clean(value), flags=_I)
    value = re.sub(r"^(?:use|try)\s+", "", value, flags=_I)
    value = _clean(re.sub(r",?\s+instead$", "", value, flags=_I))
    return value or None


def _anti_pattern(sentence: str, following: str | None) -> tuple[Extraction, bool] | None:
    """(extraction, whether it used the following sentence too)."""
    body = sentence.strip()
    advice = _ADVICE.match(body)
    if advice:
        why = advice.group("why")
        alternative = _alternative(why)
        if alternative:  # "... because Y; use Z instead": keep Y as the reason
            why = re.split(r"[;—]|\buse\b|\binstead\b", why, maxsplit=1, flags=_I)[0]
        used_next = False
        if not alternative and following:
            alternative = _alternative(following)
            used_next = alternative is not None
        return Extraction(MemoryKind.ANTI_PATTERN, {"pattern": _clean(advice.group("what")), "why_bad": _clean(why) or body,
                                                    "better_alternative": alternative},
                          body + (" " + (following or "").strip() if used_next else ""), "avoid_because"), used_next
    quoted = [m.span() for m in _QUOTED.finditer(body)]
    failure = next((m for m in _FAILURE.finditer(body)
                    if body[:m.start()].split()[-1:] not in _DETERMINERS  # "a failed call" is no failure
                    and not any(a <= m.start() < b for a, b in quoted)), None)  # nor is a quoted example
    if not failure:
        return None
    reason = _REASON.search(body[failure.start():])
    alternative = _alternative(body[failure.end():])
    used_next = False
    if not alternative and following:
        alternative = _alternative(following)
        used_next = alternative is not None
    if not reason and not alternative:
        return None
    subject = _clean(body[:failure.start()])
    subject = re.sub(r"\s+(?:is|was|were|are|keeps?|kept|always|still|just|will|would|can|could|has|have|had)$", "", subject, flags=_I)
    if len(subject) < 4 or subject.lower() in {"it", "this", "that", "they"}:
        subject = _clean(re.split(r"\bbecause\b|\binstead\b", body, maxsplit=1, flags=_I)[0])
    why = _clean(reason.group("why")) if reason else ""
    if reason and alternative:
        why = _clean(re.split(r"[;—]|\buse\b|\binstead\b|\bswitch", why, maxsplit=1, flags=_I)[0])
    failed = _clean(body[:reason.start() + failure.start()] if reason else body[:failure.end()])
    if why and not _ACTION.match(subject):
        # "The deploy failed because the migration locked the table": the thing to avoid is the cause.
        pattern, why = why, failed
    elif why:
        # "Raising max_connections failed because ...": the action is the thing to avoid.
        pattern = subject
    elif _ACTION.match(subject):
        # "Using the cache broke the build; use ... instead": the action, and what it broke.
        pattern, why = subject, _clean(re.split(r"[;—]", body[failure.start():])[0])
    else:
        # "The build broke; use the lockfile instead": no reason given, the failure is both.
        pattern = why = failed
    return Extraction(MemoryKind.ANTI_PATTERN, {"pattern": pattern, "why_bad": why, "better_alternative": alternative},
                      body + (" " + (following or "").strip() if used_next else ""), "failed_because"), used_next


def _preference(sentence: str) -> Extraction | None:
    body = sentence.strip()
    if body.endswith("?") or len(body.split()) < 5 or not _PREFERENCE.search(body):
        return None  # questions and fragments ("Yeah, I love to.") state no preference
    return Extraction(MemoryKind.PREFERENCE, {"category": preference_category(body), "preference": body}, body, "preference")


def classify(text: str, role: str, *, preferences: bool = True) -> Classified:
    """The memories the rules find in ``text`` (spoken by ``role``) and the text they leave.

    ``preferences`` is False for documents and assistant turns: only a person states a preference."""
    result = Classified()
    kept: list[str] = []
    for block in paragraphs(text):
        if _FENCE.match(block.splitlines()[0]):
            kept.append(block)
            continue
        spans = [(a, b) for a, b in _sentence_spans(block) if block[a:b].strip()]
        taken: set[int] = set()
        for i, (a, b) in enumerate(spans):
            if i in taken:
                continue
            sentence = block[a:b].strip()
            if len(sentence) > MAX_SENTENCE_CHARS or len(sentence) < 8:
                continue
            following = block[spans[i + 1][0]:spans[i + 1][1]].strip() if i + 1 < len(spans) else None
            found = _outcome(sentence)
            used_next = False
            if found is None:
                anti = _anti_pattern(sentence, following)
                if anti:
                    found, used_next = anti
            if found is None and preferences and role == "user":
                found = _preference(sentence)
            if found is not None:
                result.extractions.append(found)
                taken.add(i)
                if used_next:
                    taken.add(i + 1)
        remainder = "".join(block[a:b] for i, (a, b) in enumerate(spans) if i not in taken).strip()
        if remainder:
            kept.append(remainder)
    result.remainder = "\n\n".join(kept)
    return result
