"""Rights reservations carried by a page, its headers and its host (pure logic).

Signals read, and the ledger's ``signal`` name for each:

* ``tdmrep`` — W3C TDMRep ``/.well-known/tdmrep.json``: a JSON array of
  ``{"location": pattern, "tdm-reservation": 0|1, "tdm-policy": url}``.
  ``location`` uses robots.txt path patterns (``*``, trailing ``$``, prefix
  match, percent-encoding normalised as in :mod:`calanque.collect.robots`);
  per the TDMRep final report "the most specific match is the first in
  sequence": the first rule that matches decides, and no match means unset.
  Other reservation values are protocol errors, read as unset. A file that is
  not such JSON records nothing.
* ``tdmrep-header`` — ``tdm-reservation`` / ``tdm-policy`` response headers.
* ``tdmrep-meta`` — ``<meta name="tdm-reservation" content="1">``.
* ``x-robots-tag`` — ``X-Robots-Tag: noindex | none | noai`` (also
  ``CalanqueBot: noai``; a directive scoped to another agent is ignored).
* ``meta`` — ``<meta name="robots">`` or ``<meta name="CalanqueBot">`` with
  ``noindex``, ``none`` or ``noai``.
* ``content-usage`` — the IETF aipref ``Content-Usage`` header, read as in
  robots.txt (``search=n`` or ``ai=n`` refuse, ``train-ai=n`` alone does not).

``noimageai`` is not a refusal: it concerns images and Calanque keeps text.

:func:`decide_page` combines them: any refusal by X-Robots-Tag, robots meta or
Content-Usage refuses; TDM reservation follows TDMRep precedence, meta >
header > well-known file, so ``tdm-reservation: 0`` in a meta tag lifts a
header's ``1``. An explicit ``0`` that decides is returned as an allowed
decision naming it; with no signal at all the answer is
``ConsentDecision(allowed=True, signal="none", rule="no reservation found")``.
"""

from __future__ import annotations

import html as html_lib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from calanque.collect.robots import (
    DEFAULT_AGENT,
    PathPattern,
    parse_preferences,
    url_path,
    usage_refusal,
)
from calanque.types import ConsentDecision

HEAD_SCAN_CHARS = 64 * 1024
_REFUSING_DIRECTIVES = frozenset({"noindex", "none", "noai"})
_COLON_DIRECTIVES = frozenset(
    {"unavailable_after", "max-snippet", "max-image-preview", "max-video-preview"}
)
_SCOPED = re.compile(r"^([A-Za-z][A-Za-z0-9_-]*)\s*:\s*(.*)$", re.S)
_DROPPED = re.compile(r"<!--.*?(?:-->|$)|<(script|style)\b.*?(?:</\1\s*>|$)", re.S | re.I)
_HEAD_END = re.compile(r"</head\s*>|<body[\s>]", re.I)
_META = re.compile(r"<meta\b([^>]*)>?", re.I)
_ATTRIBUTE = re.compile(r"""([^\s=/"'<>]+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s"'>]+))?""")


# --------------------------------------------------------------------------- TDMRep file


@dataclass(frozen=True)
class TdmRepRule:
    location: str
    pattern: PathPattern
    reservation: int
    policy: str = ""


@dataclass(frozen=True)
class TdmRepRules:
    """The rules of one host's ``/.well-known/tdmrep.json``, in file order."""

    rules: tuple[TdmRepRule, ...] = ()

    def decide(self, url: str) -> ConsentDecision | None:
        """The first rule whose location matches ``url``, or None (reservation unset)."""
        path = url_path(url)
        for rule in self.rules:
            if rule.pattern.matches(path):
                text = f'location "{rule.location}": tdm-reservation={rule.reservation}'
                if rule.policy:
                    text += f", tdm-policy={rule.policy}"
                return ConsentDecision(url, rule.reservation != 1, "tdmrep", text)
        return None


def _reservation(value: object) -> int | None:
    """0 or 1 from a JSON value, header or meta content; anything else is unset."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value in (0, 1) else None
    if isinstance(value, str) and value.strip() in ("0", "1"):
        return int(value.strip())
    return None


def _tdmrep_rule(item: object) -> TdmRepRule | None:
    if not isinstance(item, dict):
        return None
    location, reservation = item.get("location"), _reservation(item.get("tdm-reservation"))
    if not isinstance(location, str) or not location.strip() or reservation is None:
        return None
    location = location.strip()
    path = location
    if "://" in path:  # an absolute URL written by mistake: keep its path
        split = urlsplit(path)
        path = (split.path or "/") + (f"?{split.query}" if split.query else "")
    if not path.startswith(("/", "*")):
        path = "/" + path
    policy = item.get("tdm-policy")
    policy_text = policy.strip() if isinstance(policy, str) else ""
    return TdmRepRule(location, PathPattern.compile(path), reservation, policy_text)


def parse_tdmrep(text: str | bytes | None) -> TdmRepRules:
    """Parse ``/.well-known/tdmrep.json``; anything that is not a JSON array gives no rules."""
    if not text:
        return TdmRepRules()
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):  # JSONDecodeError and bad UTF-8 are ValueErrors
        return TdmRepRules()
    if not isinstance(data, list):
        return TdmRepRules()
    rules = (_tdmrep_rule(item) for item in data)
    return TdmRepRules(tuple(rule for rule in rules if rule is not None))


# --------------------------------------------------------------------------- headers


def _header(headers: Mapping[str, str], name: str) -> str | None:
    """Case-insensitive lookup; repeated names (if the mapping keeps them) are comma-joined."""
    values = [value for key, value in headers.items() if key.lower() == name]
    return ", ".join(values) if values else None


def _agent_token(agent: str) -> str:
    return agent.split("/", 1)[0].strip().lower()


def _refusing_directive(value: str, agent: str) -> str | None:
    """The X-Robots-Tag / robots-meta directive that refuses ``agent``, or None.

    ``"googlebot: noindex, noai"`` scopes the directives after it to one agent.
    """
    scope: str | None = None
    token = _agent_token(agent)
    for part in value.split(","):
        part = part.strip()
        scoped = _SCOPED.match(part)
        if scoped and scoped.group(1).lower() not in _COLON_DIRECTIVES:
            scope, part = scoped.group(1).lower(), scoped.group(2).strip()
        for directive in part.lower().split():
            if directive in _REFUSING_DIRECTIVES and scope in (None, token):
                return directive
    return None


def _robots_tag_decision(
    url: str, headers: Mapping[str, str], agent: str
) -> ConsentDecision | None:
    value = _header(headers, "x-robots-tag")
    if value and _refusing_directive(value, agent):
        return ConsentDecision(url, False, "x-robots-tag", f"X-Robots-Tag: {value}")
    return None


def _content_usage_decision(url: str, headers: Mapping[str, str]) -> ConsentDecision | None:
    value = _header(headers, "content-usage")
    if value and usage_refusal(parse_preferences(value)):
        return ConsentDecision(url, False, "content-usage", f"Content-Usage: {value}")
    return None


def _tdm_header_decision(url: str, headers: Mapping[str, str]) -> ConsentDecision | None:
    value = _header(headers, "tdm-reservation")
    reservation = _reservation(value.split(",")[0]) if value else None
    if reservation is None:
        return None
    rule = f"tdm-reservation: {reservation}"
    policy = _header(headers, "tdm-policy")
    if policy:
        rule += f" (tdm-policy: {policy.strip()})"
    return ConsentDecision(url, reservation != 1, "tdmrep-header", rule)


def decide_headers(
    url: str, headers: Mapping[str, str], agent: str = DEFAULT_AGENT
) -> ConsentDecision | None:
    """A decision from response headers alone: a refusal first, else a TDM declaration, else None."""
    return (
        _robots_tag_decision(url, headers, agent)
        or _content_usage_decision(url, headers)
        or _tdm_header_decision(url, headers)
    )


# --------------------------------------------------------------------------- HTML meta


def _head_of(html: str) -> str:
    head = _DROPPED.sub(" ", html[:HEAD_SCAN_CHARS])
    end = _HEAD_END.search(head)
    return head[: end.start()] if end else head


def _metas(html: str) -> list[tuple[str, str]]:
    """``(name lower-cased, content)`` of every ``<meta name=... content=...>`` in the head."""
    found = []
    for tag in _META.finditer(_head_of(html)):
        attributes: dict[str, str] = {}
        for name, raw in _ATTRIBUTE.findall(tag.group(1)):
            value = raw[1:-1] if raw[:1] in ("'", '"') else raw
            attributes.setdefault(name.lower(), html_lib.unescape(value))
        if "name" in attributes:
            found.append((attributes["name"].strip().lower(), attributes.get("content", "")))
    return found


@dataclass(frozen=True)
class _MetaSignals:
    refusal: ConsentDecision | None
    tdm: ConsentDecision | None


def _meta_signals(url: str, html: str, agent: str) -> _MetaSignals:
    refusal = tdm = None
    token = _agent_token(agent)
    for name, content in _metas(html):
        if refusal is None and name in ("robots", token) and _refusing_directive(content, agent):
            rule = f'<meta name="{name}" content="{content}">'
            refusal = ConsentDecision(url, False, "meta", rule)
        elif tdm is None and name == "tdm-reservation":
            reservation = _reservation(content)
            if reservation is not None:
                rule = f'<meta name="tdm-reservation" content="{reservation}">'
                tdm = ConsentDecision(url, reservation != 1, "tdmrep-meta", rule)
    return _MetaSignals(refusal, tdm)


def decide_meta(url: str, html: str, agent: str = DEFAULT_AGENT) -> ConsentDecision | None:
    """A decision from the page's ``<head>``: a robots-meta refusal first, else TDM meta, else None."""
    signals = _meta_signals(url, html, agent)
    return signals.refusal or signals.tdm


# --------------------------------------------------------------------------- the whole page


def decide_page(
    url: str,
    headers: Mapping[str, str],
    html: str | None,
    tdmrep: TdmRepRules | None,
    agent: str = DEFAULT_AGENT,
) -> ConsentDecision:
    """Every page-level signal combined (see the module docstring for the order)."""
    meta = _meta_signals(url, html, agent) if html else _MetaSignals(None, None)
    refusal = (
        _robots_tag_decision(url, headers, agent)
        or _content_usage_decision(url, headers)
        or meta.refusal
    )
    if refusal is not None:
        return refusal
    tdm = meta.tdm or _tdm_header_decision(url, headers) or (tdmrep.decide(url) if tdmrep else None)
    if tdm is not None:
        return tdm
    return ConsentDecision(url, True, "none", "no reservation found")
