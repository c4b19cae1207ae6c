"""robots.txt per RFC 9309, plus the AI-usage lines that live in it.

Pure logic: :func:`parse_robots` turns the body and HTTP status of a
robots.txt into :class:`RobotsRules`; :meth:`RobotsRules.decide` says whether a
URL may be used and which line decided it (for the consent ledger).

Why our own matcher and not protego's
-------------------------------------
protego is the base this module grew from: the same line syntax (case-
insensitive field names, ``#`` comments, the tolerated spellings
``useragent``/``user agent`` and the Disallow misspellings, a missing colon
accepted), the same pattern semantics (``*``, trailing ``$``, longest match,
Allow wins ties, ``/robots.txt`` always allowed) and the same
crawl-delay/sitemap handling. Its public API only answers a boolean, though,
and the consent ledger must record *which line* decided; and on Google's
``robots_test.cc`` it disagrees with RFC 9309 where this module must not:

* a user-agent value is not cut at the first character outside
  ``[A-Za-z_-]`` (``User-agent: Foo Bar`` must name ``Foo``), and a name is
  matched as a substring of the crawler's name (``User-agent: calanque`` would
  apply to ``CalanqueBot``); here the product token must be equal,
  case-insensitively;
* an unknown line (``foo:``, ``Sitemap:``) between two user-agent lines
  splits them into two groups; here it does not (RFC 9309 section 2.1
  grammar, Google's behaviour). The run of user-agent lines that opens a group
  is ended by a group member: Allow/Disallow, and the members other crawlers
  and specs put in groups — ``Crawl-delay`` (Bing, Yandex), ``Content-Usage``
  and ``Content-Signal`` — so that ``User-agent: *`` / ``Crawl-delay: 5`` /
  ``User-agent: BadBot`` / ``Disallow: /`` does not shut everyone out;
* over-long lines are kept whole.

So the grouping and matching are written here (about 150 lines), and protego
is used by the test suite as a reference on files where both agree.

Behaviour
---------
* Status: 2xx parsed; 3xx (the fetcher gave up on redirects) and 4xx mean
  "no robots.txt": everything allowed; 5xx, any other status and network
  errors (``status=None`` or ``0``) mean everything disallowed.
* Size: only the first 500 KiB (512,000 bytes) are parsed, the RFC 9309
  minimum; a file cut there loses its last, partial line so that a cut rule is
  never read as a broader one.
* Percent-encoding is normalised the same way on patterns and URL paths: an
  escape of an unreserved character is decoded (``%62%61%7A`` == ``baz``, the
  RFC 9309 example; Google's older test expects the opposite), other escapes
  are upper-cased (``%aa`` == ``%AA``), and raw non-ASCII, spaces and controls
  are encoded as UTF-8 (``/ツ`` == ``/%E3%83%84`` on either side; Google's test
  leaves an unencoded URL unmatched, we encode it). A literal ``$`` or ``*`` in
  a URL is compared as ``%24``/``%2A``.
* Agent: the caller's name is cut at ``/`` (``CalanqueBot/0.1 (+url)`` is
  ``calanquebot``); when a group names it, those groups (merged) alone apply,
  else the ``*`` groups, else nothing.

AI-usage lines (not RFC 9309, read inside groups like Allow/Disallow, or for
every agent when written before any group):

* IETF aipref ``Content-Usage: [path] key=y|n, ...``. Calanque is an answer
  engine: it reads pages to search them and to put passages in front of a
  model (AI input), it trains nothing. So ``search=n`` and ``ai=n`` /
  ``ai-input=n`` / ``ai-use=n`` refuse, and so does ``bots=n`` / ``tdm=n``
  (automated processing) unless a more specific key for each of our two uses
  says ``y``; ``train-ai=n`` and ``train-genai=n`` alone do not refuse. The
  line with the longest matching path decides.
* Cloudflare ``Content-Signal: [path] ai-input=no, search=yes, ai-train=no``:
  ``ai-input=no`` or ``search=no`` refuses; ``ai-train=no`` alone does not.

Google-only extensions: implemented — the missing colon (``disallow /``), the
line cut-off (a line is cut after 16,663 bytes, as Google does), the tolerated
misspellings. Left out — ``index.html`` at the end of an Allow pattern standing
for its directory (RFC 9309 has no such rule).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from calanque.types import ConsentDecision

MAX_ROBOTS_BYTES = 500 * 1024
MAX_LINE_BYTES = 8 * 2083 - 1
DEFAULT_AGENT = "CalanqueBot"

_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_HEX = frozenset(b"0123456789ABCDEFabcdef")
_PLAIN = re.compile(r"[A-Za-z0-9/._~\-?=&:;,+!@()']*").fullmatch
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_AGENT_TOKEN = re.compile(r"[A-Za-z_-]*")
_SCHEME_AUTHORITY = re.compile(r"^(?:[A-Za-z][A-Za-z0-9+.-]*:)?//[^/?#]*")

_FIELDS = {
    "user-agent": "user-agent",
    "useragent": "user-agent",
    "user agent": "user-agent",
    "allow": "allow",
    "disallow": "disallow",
    "dissallow": "disallow",
    "dissalow": "disallow",
    "disalow": "disallow",
    "diasllow": "disallow",
    "disallaw": "disallow",
    "sitemap": "sitemap",
    "site-map": "sitemap",
    "crawl-delay": "crawl-delay",
    "content-usage": "content-usage",
    "content-signal": "content-signal",
}


# --------------------------------------------------------------------------- paths and patterns


def _escape_byte(byte: int) -> str:
    return f"%{byte:02X}"


def normalize_path(value: str, *, pattern: bool = False) -> str:
    """Percent-encoding normalised for comparison (see the module docstring).

    In a pattern ``*`` stays a wildcard and a trailing ``$`` an anchor; in a
    URL path they are literal characters and come out escaped.
    """
    anchor = ""
    if pattern and value.endswith("$"):
        value, anchor = value[:-1], "$"
    if _PLAIN(value):
        return value + anchor
    raw = value.encode("utf-8", "replace")
    out: list[str] = []
    i, size = 0, len(raw)
    while i < size:
        byte = raw[i]
        if byte == 0x25 and i + 2 < size and raw[i + 1] in _HEX and raw[i + 2] in _HEX:
            decoded = int(raw[i + 1 : i + 3], 16)
            char = chr(decoded)
            out.append(char if char in _UNRESERVED else _escape_byte(decoded))
            i += 3
            continue
        if byte == 0x2A and pattern:
            out.append("*")
        elif byte <= 0x20 or byte >= 0x7F or byte in b"%$*":
            out.append(_escape_byte(byte))
        else:
            out.append(chr(byte))
        i += 1
    return "".join(out) + anchor


def url_path(url: str) -> str:
    """The part of a URL that rules match: path, params and query, no fragment."""
    url = url.split("#", 1)[0]
    authority = _SCHEME_AUTHORITY.match(url)
    if authority:
        path = url[authority.end() :]
    elif url.startswith("/"):
        path = url
    else:  # "example.com/a?b": what comes before the first "/" or "?" is a host
        start = min((i for i in (url.find("/"), url.find("?")) if i >= 0), default=len(url))
        path = url[start:]
    if not path.startswith("/"):
        path = "/" + path
    return normalize_path(path)


@dataclass(frozen=True)
class PathPattern:
    """A robots.txt-style path pattern: a prefix with ``*`` wildcards and an optional ``$``."""

    raw: str
    normalized: str
    parts: tuple[str, ...]
    anchored: bool

    @classmethod
    def compile(cls, raw: str) -> PathPattern:
        normalized = normalize_path(raw, pattern=True)
        anchored = normalized.endswith("$")
        body = normalized[:-1] if anchored else normalized
        return cls(raw, normalized, tuple(re.sub(r"\*+", "*", body).split("*")), anchored)

    @property
    def length(self) -> int:
        """Specificity: the octets of the pattern, as RFC 9309 counts them."""
        return len(self.normalized)

    def matches(self, path: str) -> bool:
        """Whether the normalised ``path`` (see :func:`url_path`) matches."""
        parts = self.parts
        if len(parts) == 1:
            return path == parts[0] if self.anchored else path.startswith(parts[0])
        if not path.startswith(parts[0]):
            return False
        pos = len(parts[0])
        for part in parts[1:-1]:
            found = path.find(part, pos)
            if found < 0:
                return False
            pos = found + len(part)
        last = parts[-1]
        if self.anchored:
            return len(path) - len(last) >= pos and path.endswith(last)
        return path.find(last, pos) >= 0


# --------------------------------------------------------------------------- AI-usage preferences

_USAGE_ALIASES = {"ai": "ai-input", "ai-use": "ai-input", "ai-input": "ai-input", "tdm": "bots"}


def parse_preferences(value: str) -> dict[str, bool]:
    """``"train-ai=n, search=y"`` → ``{"train-ai": False, "search": True}``; junk is skipped."""
    prefs: dict[str, bool] = {}
    for item in re.split(r"[,\s]+", value):
        key, sep, answer = item.split(";", 1)[0].partition("=")
        answer = answer.strip().strip('"').lower()
        if sep and answer in ("y", "yes", "n", "no", "?1", "?0"):
            prefs[key.strip().lower()] = answer in ("y", "yes", "?1")
    return prefs


def usage_refusal(prefs: Mapping[str, bool]) -> str | None:
    """The aipref key that refuses Calanque's uses (search, AI input), or None."""
    normalized: dict[str, bool] = {}
    for key, allowed in prefs.items():
        name = _USAGE_ALIASES.get(key, key)
        normalized[name] = normalized.get(name, True) and allowed
    broad = normalized.get("bots")
    for use in ("search", "ai-input"):
        verdict = normalized.get(use, broad)
        if verdict is False:
            return use if use in normalized else "bots"
    return None


def signal_refusal(prefs: Mapping[str, bool]) -> str | None:
    """The Content-Signal key that refuses Calanque (``ai-input`` or ``search``), or None."""
    for key in ("ai-input", "search"):
        if prefs.get(key) is False:
            return key
    return None


# --------------------------------------------------------------------------- parsed rules


@dataclass(frozen=True)
class _Rule:
    kind: Literal["allow", "disallow"]
    pattern: PathPattern
    line: str


@dataclass(frozen=True)
class _Preference:
    kind: Literal["content-usage", "content-signal"]
    pattern: PathPattern
    prefs: Mapping[str, bool] = field(hash=False, compare=False)
    line: str = ""


@dataclass
class _Group:
    agents: list[str] = field(default_factory=list)
    rules: list[_Rule] = field(default_factory=list)
    preferences: list[_Preference] = field(default_factory=list)
    crawl_delay: float | None = None


@dataclass(frozen=True)
class _AgentRules:
    """Every group that applies to one agent, merged; rules sorted most specific first."""

    rules: tuple[_Rule, ...] = ()
    preferences: tuple[_Preference, ...] = ()
    crawl_delay: float | None = None

    @classmethod
    def merge(cls, groups: Iterable[_Group], shared: Iterable[_Preference]) -> _AgentRules:
        groups = list(groups)
        rules = [rule for group in groups for rule in group.rules]
        rules.sort(key=lambda r: (-r.pattern.length, r.kind != "allow"))
        prefs = [p for group in groups for p in group.preferences] + list(shared)
        prefs.sort(key=lambda p: -p.pattern.length)
        delays = [g.crawl_delay for g in groups if g.crawl_delay is not None]
        return cls(tuple(rules), tuple(prefs), delays[0] if delays else None)


_NO_RULES = _AgentRules()


def _agent_token(agent: str) -> str:
    return agent.split("/", 1)[0].strip().lower()


UNREACHABLE = "robots.txt unreachable"


def refused_for_now(decision: ConsentDecision) -> bool:
    """Is ``decision`` the refusal of a host whose robots.txt could not be read: an
    outage, to try again later, not an opt-out (nothing stored is deleted for it)?"""
    return not decision.allowed and decision.rule.startswith(UNREACHABLE)


@dataclass(frozen=True)
class RobotsRules:
    """A parsed robots.txt (or the absence of one), ready to decide URLs."""

    status: int | None = 200
    sitemaps: tuple[str, ...] = ()
    truncated: bool = False
    by_agent: Mapping[str, _AgentRules] = field(default_factory=dict, hash=False)

    def _applying(self, agent: str) -> _AgentRules:
        token = _agent_token(agent)
        if token and token != "*" and token in self.by_agent:
            return self.by_agent[token]
        return self.by_agent.get("*", _NO_RULES)

    def _status_decision(self, url: str) -> ConsentDecision | None:
        status = self.status
        if status is not None and 200 <= status < 300:
            return None
        if status is not None and 300 <= status < 500:
            rule = f"robots.txt returned HTTP {status}: everything allowed"
            return ConsentDecision(url, True, "robots.txt", rule)
        reason = f"HTTP {status}" if status else "network error"
        rule = f"{UNREACHABLE} ({reason}): everything disallowed"
        return ConsentDecision(url, False, "robots.txt", rule)

    @property
    def unreachable(self) -> bool:
        """robots.txt could not be read (a network error or a server error): RFC 9309
        says disallow everything, for now; it says nothing of what was already fetched."""
        return self.status is None or self.status >= 500

    def decide(self, url: str, agent: str = DEFAULT_AGENT) -> ConsentDecision:
        """May ``agent`` use ``url``? ``rule`` names the line (or status) that decided."""
        path = url_path(url)
        if path == "/robots.txt":
            return ConsentDecision(url, True, "robots.txt", "/robots.txt is always allowed")
        by_status = self._status_decision(url)
        if by_status is not None:
            return by_status
        applying = self._applying(agent)
        rule = next((r for r in applying.rules if r.pattern.matches(path)), None)
        if rule is not None and rule.kind == "disallow":
            return ConsentDecision(url, False, "robots.txt", rule.line)
        refusal = _preference_refusal(url, path, applying.preferences)
        if refusal is not None:
            return refusal
        return ConsentDecision(url, True, "robots.txt", rule.line if rule else "no rule matched")

    def crawl_delay(self, agent: str = DEFAULT_AGENT) -> float | None:
        """Seconds between requests asked of ``agent`` (its groups, else ``*``), or None."""
        return self._applying(agent).crawl_delay


def _preference_refusal(
    url: str, path: str, preferences: Iterable[_Preference]
) -> ConsentDecision | None:
    decided: set[str] = set()
    for pref in preferences:  # most specific first: the first match per field decides
        if pref.kind in decided or not pref.pattern.matches(path):
            continue
        decided.add(pref.kind)
        refuses = usage_refusal if pref.kind == "content-usage" else signal_refusal
        if refuses(pref.prefs) is not None:
            return ConsentDecision(url, False, pref.kind, pref.line)
    return None


# --------------------------------------------------------------------------- parsing


def _decode(data: str | bytes) -> tuple[str, bool]:
    raw = data.encode("utf-8", "replace") if isinstance(data, str) else data
    truncated = len(raw) > MAX_ROBOTS_BYTES
    if truncated:
        raw = raw[:MAX_ROBOTS_BYTES]
        last_break = max(raw.rfind(b"\n"), raw.rfind(b"\r"))
        raw = raw[: last_break + 1] if last_break >= 0 else b""
    for bom in (b"\xef\xbb\xbf", b"\xef\xbb", b"\xef"):
        if raw.startswith(bom):
            raw = raw[len(bom) :]
            break
    return raw.decode("utf-8", "replace"), truncated


def _split_line(line: str) -> tuple[str, str] | None:
    """``(field, value)`` of a known line, or None for comments, blanks and unknown lines."""
    if len(line) > MAX_LINE_BYTES // 4:
        line = line.encode("utf-8")[:MAX_LINE_BYTES].decode("utf-8", "ignore")
    line = line.split("#", 1)[0].strip()
    if not line:
        return None
    name, sep, value = line.partition(":")
    known = _FIELDS.get(re.sub(r"\s+", " ", name.strip().lower()))
    if sep and known:
        return known, value.strip()
    words = line.split(None, 1)  # Google-style "disallow /" without a colon
    known = _FIELDS.get(words[0].lower())
    if known and len(words) == 2:
        return known, words[1].strip()
    return None


def _agent_of(value: str) -> str:
    if value.startswith("*") and (len(value) == 1 or value[1].isspace()):
        return "*"
    match = _AGENT_TOKEN.match(value)
    return match.group(0).lower() if match else ""


def _preference(kind: Literal["content-usage", "content-signal"], value: str) -> _Preference:
    path, prefs_text = "/", value
    words = value.split(None, 1)
    if words and words[0].startswith(("/", "*")):
        path, prefs_text = words[0], words[1] if len(words) == 2 else ""
    title = "Content-Usage" if kind == "content-usage" else "Content-Signal"
    return _Preference(
        kind, PathPattern.compile(path), parse_preferences(prefs_text), f"{title}: {value}"
    )


def _crawl_delay(value: str) -> float | None:
    try:
        delay = float(value)
    except ValueError:
        return None
    return delay if 0 <= delay < float("inf") else None


@dataclass
class _Parser:
    groups: list[_Group] = field(default_factory=list)
    shared: list[_Preference] = field(default_factory=list)
    sitemaps: list[str] = field(default_factory=list)
    current: _Group | None = None
    in_rules: bool = False

    def feed(self, kind: str, value: str) -> None:
        if kind == "user-agent":
            if self.current is None or self.in_rules:
                self.current, self.in_rules = _Group(), False
                self.groups.append(self.current)
            self.current.agents.append(_agent_of(value))
        elif kind == "sitemap":
            if value:
                self.sitemaps.append(value)
        elif kind in ("content-usage", "content-signal"):
            pref = _preference(
                "content-usage" if kind == "content-usage" else "content-signal", value
            )
            (self.current.preferences if self.current else self.shared).append(pref)
            self.in_rules = self.current is not None
        elif self.current is None:
            return  # a rule before any user-agent line belongs to no group
        elif kind == "crawl-delay":
            self.in_rules = True
            if self.current.crawl_delay is None:
                self.current.crawl_delay = _crawl_delay(value)
        else:
            self.in_rules = True
            if value:
                rule_kind: Literal["allow", "disallow"] = "allow" if kind == "allow" else "disallow"
                line = f"{kind.capitalize()}: {value}"
                self.current.rules.append(_Rule(rule_kind, PathPattern.compile(value), line))

    def rules_by_agent(self) -> dict[str, _AgentRules]:
        """Merged rules per product token; lines written before any group go to every agent."""
        agents = {agent for group in self.groups for agent in group.agents if agent}
        if self.shared:
            agents.add("*")
        return {
            agent: _AgentRules.merge((g for g in self.groups if agent in g.agents), self.shared)
            for agent in agents
        }


def parse_robots(text: str | bytes, status: int | None = 200) -> RobotsRules:
    """Parse a robots.txt body fetched with HTTP ``status`` (None: network error).

    Never raises: garbage parses to no rules (everything allowed).
    """
    if status is None or not 200 <= status < 300:
        return RobotsRules(status=status)
    content, truncated = _decode(text)
    parser = _Parser()
    for line in _LINE_BREAK.split(content):
        parsed = _split_line(line)
        if parsed is not None:
            parser.feed(*parsed)
    return RobotsRules(status, tuple(parser.sitemaps), truncated, parser.rules_by_agent())
