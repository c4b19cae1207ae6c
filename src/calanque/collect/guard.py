"""The address guard: requests for untrusted sources reach public addresses only.

A source added over the API (``sources.added_by`` is ``key:<name>``) names URLs that
somebody outside the machine chose. Fetching them must never reach a loopback, private,
link-local or reserved address (SSRF): not the first URL, not a redirect hop, not an
entry of a sitemap or feed, not robots.txt.

:class:`GuardedTransport` checks the address at the one place where it matters, the
connection: the host name is resolved once, every address it resolves to must be public,
and the socket is opened to the address that was checked (no second lookup, so a name
that answers differently the second time -- DNS rebinding -- gains nothing). The URL
keeps its name, so the ``Host`` header, TLS SNI and certificate checks use the name.

IPv6 forms that carry an IPv4 address (IPv4-mapped ``::ffff:a.b.c.d``, IPv4-compatible
``::a.b.c.d``, NAT64 ``64:ff9b::/96``, 6to4 ``2002::/16``, Teredo ``2001::/32``) are
judged by the IPv4 address inside.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from urllib.parse import urlsplit

import httpcore
import httpx

from calanque.collect.tls import shared_ssl_context
from calanque.errors import FetchError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
NAT64_PREFIXES = (
    ipaddress.ip_network("64:ff9b::/96"),  # well-known prefix
    ipaddress.ip_network("64:ff9b:1::/48"),  # local-use prefix
)
FORBIDDEN_ADDRESS = "forbidden-address"
"""``FetchError.kind`` of a request the guard refused."""

HOW_TO_ALLOW = (
    "only public addresses are fetched for sources added over the API; the operator can "
    "allow private ones with server.allow_private_sources = true "
    "(CALANQUE_SERVER_ALLOW_PRIVATE_SOURCES=1), or add the source locally with `calanque add`"
)


class AddressRefused(httpcore.ConnectError):
    """The guard refused to connect (httpx reports it as ``httpx.ConnectError``)."""


def embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries (empty when it carries none)."""
    if address.ipv4_mapped is not None:
        return [address.ipv4_mapped]
    if address.sixtofour is not None:
        return [address.sixtofour]
    if address.teredo is not None:
        return list(address.teredo)  # (server, client): both must be public
    if any(address in prefix for prefix in NAT64_PREFIXES):
        return [ipaddress.IPv4Address(int(address) & 0xFFFF_FFFF)]
    if int(address) >> 32 == 0:  # IPv4-compatible ::a.b.c.d (and :: and ::1)
        return [ipaddress.IPv4Address(int(address))]
    return []


def is_public_ip(address: IPAddress) -> bool:
    """Whether ``address`` is globally routable unicast (judged by the IPv4 inside, if any)."""
    if isinstance(address, ipaddress.IPv6Address):
        inner = embedded_ipv4(address)
        if inner:
            return all(is_public_ip(ip) for ip in inner)
    return address.is_global and not address.is_multicast


def resolve(host: str, port: int | None = None) -> list[IPAddress]:
    """The addresses ``host`` names: itself when it is a literal, else one DNS lookup."""
    literal = host.strip().strip("[]").split("%")[0]
    try:
        return [ipaddress.ip_address(literal)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(
            literal.rstrip("."), port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
        )
    except (OSError, UnicodeError):
        return []
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


def is_private_address(host: str) -> bool:
    """Whether ``host`` is, or resolves to, a non-public address.

    A name is private if any of its addresses is. A name that does not resolve is not
    private here (adding it is harmless); :func:`public_address` refuses it at fetch time.
    """
    return not all(is_public_ip(ip) for ip in resolve(host))


def public_address(host: str, port: int | None = None) -> str:
    """The one address to connect to for ``host``; raise :class:`AddressRefused` unless
    it resolves, and every address it resolves to is public."""
    addresses = resolve(host, port)
    if not addresses:
        raise AddressRefused(
            f"refused to connect to {host}: the name does not resolve; check the spelling "
            "of the host, or its DNS records"
        )
    private = _first_private(addresses)
    if private is not None:
        shown = host if str(private) == host.strip("[]") else f"{host} ({private})"
        raise AddressRefused(
            f"refused to connect to {shown}: it is a loopback, private or reserved address; "
            f"{HOW_TO_ALLOW}"
        )
    return str(addresses[0])


def _first_private(addresses: Iterable[IPAddress]) -> IPAddress | None:
    return next((ip for ip in addresses if not is_public_ip(ip)), None)


async def check_url(url: str) -> None:
    """Refuse ``url`` early (before robots.txt) when its host is not public.

    Raises :class:`FetchError` with kind ``forbidden-address``. Only a courtesy that gives
    a clear error: :class:`GuardedTransport` checks again at the connection, where it counts.
    """
    host = urlsplit(url).hostname or ""
    try:
        await asyncio.to_thread(public_address, host)
    except AddressRefused as exc:
        raise FetchError(f"{url}: {exc}", url=url, kind=FORBIDDEN_ADDRESS) from exc


class PublicOnlyBackend(httpcore.AsyncNetworkBackend):
    """Opens TCP connections to the checked public address of the requested name."""

    def __init__(self) -> None:
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        address = await asyncio.to_thread(public_address, host, port)
        return await self._inner.connect_tcp(
            address, port, timeout, local_address=local_address, socket_options=socket_options
        )

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise AddressRefused(f"refused to connect to the Unix socket {path}: {HOW_TO_ALLOW}")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """Refuses every request (redirect hops and robots.txt included) to a non-public address."""

    def __init__(self, *, http2: bool = False) -> None:
        super().__init__(verify=shared_ssl_context(http2), http2=http2, trust_env=False)
        # httpx builds its pool without a way to pass a network backend: replace it.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=shared_ssl_context(http2),
            max_connections=100,
            max_keepalive_connections=20,
            keepalive_expiry=5.0,
            http1=True,
            http2=http2,
            network_backend=PublicOnlyBackend(),
        )


def refused_by_guard(exc: BaseException) -> bool:
    """Whether an httpx error was raised because the guard refused the address."""
    return isinstance(exc.__cause__, AddressRefused) or isinstance(exc, AddressRefused)
