"""Time cues in a query — "in May 2023", "on 8 May, 2023", "last week", "3 days ago" —
turned into a [start, end) window, relative to the question's own date when given."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

MONTHS = {name: i for i, name in enumerate(
    ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
     "november", "december"], start=1)}
MONTHS.update({name[:3]: i for name, i in list(MONTHS.items())})
MONTHS["sept"] = 9
_MONTH = r"(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_YEAR = r"(?P<year>(?:19|20)\d\d)"

_DAY_MONTH_YEAR = re.compile(rf"\b(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH},?\s+{_YEAR}\b", re.I)
_MONTH_DAY_YEAR = re.compile(rf"\b{_MONTH}\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,?\s+{_YEAR}\b", re.I)
_MONTH_YEAR = re.compile(rf"\b{_MONTH},?\s+{_YEAR}\b", re.I)
_YEAR_ONLY = re.compile(rf"\b(?:in|during|of|since)\s+{_YEAR}\b", re.I)
_AGO = re.compile(r"\b(?P<n>\d+|a|an|one|two|three|four|five|six)\s+(?P<unit>day|week|month|year)s?\s+ago\b", re.I)
_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}


def _month_window(year: int, month: int) -> tuple[datetime, datetime]:
    start = datetime(year, month, 1, tzinfo=timezone.utc)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=timezone.utc)
    return start, end


def time_window(query: str, now: datetime) -> tuple[datetime, datetime] | None:
    """The period the query refers to, or None when it names none."""
    for pattern in (_DAY_MONTH_YEAR, _MONTH_DAY_YEAR):
        match = pattern.search(query)
        if match:
            try:
                day = datetime(int(match["year"]), MONTHS[match["month"].lower()], int(match["day"]), tzinfo=timezone.utc)
            except ValueError:
                continue
            return day, day + timedelta(days=1)
    match = _MONTH_YEAR.search(query)
    if match:
        return _month_window(int(match["year"]), MONTHS[match["month"].lower()])
    match = _YEAR_ONLY.search(query)
    if match:
        year = int(match["year"])
        return datetime(year, 1, 1, tzinfo=timezone.utc), datetime(year + 1, 1, 1, tzinfo=timezone.utc)
    text = query.lower()
    today = now.astimezone(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    if "yesterday" in text:
        return today - timedelta(days=1), today
    if "today" in text or "this morning" in text:
        return today, today + timedelta(days=1)
    match = _AGO.search(text)
    if match:
        n = _WORDS.get(match["n"], None) or int(match["n"])
        days = {"day": 1, "week": 7, "month": 30, "year": 365}[match["unit"]] * n
        slack = max(1, days // 4)  # "two weeks ago" is roughly, not exactly, 14 days ago
        center = today - timedelta(days=days)
        return center - timedelta(days=slack), center + timedelta(days=slack + 1)
    for phrase, days in (("last weekend", 8), ("last week", 7), ("past week", 7), ("this week", 7),
                         ("last month", 31), ("past month", 31), ("this month", 31), ("last year", 366),
                         ("past year", 366), ("this year", 366), ("recently", 30)):
        if phrase in text:
            if phrase.startswith("last") and phrase != "last weekend":
                return today - timedelta(days=2 * days), today - timedelta(days=days // 4)
            return today - timedelta(days=days), today + timedelta(days=1)
    return None
