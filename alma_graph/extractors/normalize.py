"""Name normalisation: one key per real-world name, so that "The Acme Corp's",
"acme corp" and "ACME CORP" link to the same graph node."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

_WS = re.compile(r"\s+")
# Possessive at the end of a name: 's, ’s, or a bare apostrophe ("James'").
_POSSESSIVE = re.compile(r"(?:['’]s|(?<=s)['’])$")
_LEADING_DET = re.compile(r"^(?:the|a|an)\s+")
# Punctuation stripped from the ends; '+' and '#' stay so "C++"/"C#" survive.
_EDGE_PUNCT = "".join(
    ch for ch in map(chr, range(0x2030)) if unicodedata.category(ch).startswith("P")
) + "`^|~<>=$"


def _strip_edges(text: str) -> str:
    return text.strip().strip(_EDGE_PUNCT).strip()


def _base_norm(name: str) -> str:
    text = unicodedata.normalize("NFKC", name).replace("’", "'").casefold()
    text = _WS.sub(" ", text).strip()
    # Repeat until stable: "the acme's." needs punct, then possessive, then det.
    previous = None
    while text != previous:
        previous = text
        text = _strip_edges(text)
        text = _POSSESSIVE.sub("", text).strip()
        text = _LEADING_DET.sub("", text)
    return text


def clean_name(name: str) -> str:
    """Display form: like norm_name's key but case kept and no determiner
    stripping ("Max-" -> "Max", "Melanie's" -> "Melanie")."""
    text = _WS.sub(" ", unicodedata.normalize("NFKC", name)).strip()
    previous = None
    while text != previous:
        previous = text
        text = _POSSESSIVE.sub("", _strip_edges(text)).strip()
    return text


class AliasMap(dict):
    """alias -> canonical name, keyed by the alias's normalised form (a marker
    type so norm_name need not re-normalise the keys on every call)."""


def build_alias_map(aliases: Mapping[str, str] | None) -> AliasMap:
    if isinstance(aliases, AliasMap):
        return aliases
    out = AliasMap()
    for alias, canonical in (aliases or {}).items():
        key = _base_norm(alias)
        if key and _base_norm(canonical):
            out[key] = canonical
    return out


def canonical_name(name: str, aliases: Mapping[str, str] | None = None) -> str:
    """The display name after alias resolution (`name` itself if no alias)."""
    if not aliases:
        return name
    return build_alias_map(aliases).get(_base_norm(name), name)


def norm_name(name: str, aliases: Mapping[str, str] | None = None) -> str:
    """Linking key of `name`: casefolded, no possessive 's, no leading "the",
    whitespace collapsed, punctuation stripped from the ends.  If `aliases`
    (alias -> canonical name; pass build_alias_map's result in hot loops) maps
    the name, the canonical name's key instead."""
    key = _base_norm(name)
    if aliases:
        target = build_alias_map(aliases).get(key)
        if target is not None:
            return _base_norm(target)
    return key
