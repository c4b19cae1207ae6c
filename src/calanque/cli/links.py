"""Terminal hyperlinks (OSC 8): whether to emit them, and URLs that are safe inside one.

A link is emitted only when standard output is a terminal that is not ``TERM=dumb`` and
neither ``NO_COLOR`` nor ``CALANQUE_NO_LINKS`` is set. The URL of a link comes from a crawled
page: :func:`link_target` strips escape sequences and control characters and percent-encodes
everything outside printable ASCII, so a page can never end the sequence early or start one
of its own.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TextIO
from urllib.parse import quote

from rich.style import Style
from rich.text import Text

from calanque.cli.common import plain_text

# RFC 3986 reserved and unreserved characters, and '%' (already-encoded URLs stay as they are)
_URL_SAFE = "!#$%&'()*+,/:;=?@[]~-._"


def links_enabled(stream: TextIO, environ: Mapping[str, str] | None = None) -> bool:
    """Whether ``stream`` is a terminal that should get OSC 8 hyperlinks."""
    env = os.environ if environ is None else environ
    if env.get("NO_COLOR") or env.get("CALANQUE_NO_LINKS"):
        return False
    if env.get("TERM", "dumb") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def link_target(url: str) -> str:
    """``url`` with nothing that could escape an OSC 8 sequence: printable ASCII only."""
    return quote(plain_text(url), safe=_URL_SAFE)


def linked(text: str, url: str, enabled: bool, style: str = "") -> Text:
    """``text`` (already free of escapes) as a hyperlink to ``url`` when ``enabled``."""
    target = link_target(url)
    if not enabled or not target.startswith(("http://", "https://", "file://")):
        return Text(text, style=style)
    return Text(text, style=Style.parse(style or "none") + Style(link=target))
