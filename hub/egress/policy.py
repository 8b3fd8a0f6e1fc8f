"""Which URLs the hub may call (the outbound policy against SSRF), as a pure check.

The hub calls only URLs it has reason to trust: the endpoints a platform registered and URLs
under them. Every such URL is checked when a party hands it over (registration, response_url,
Link, Location) and again at connect time, after DNS (`hub.egress.client`):

- https is required; http only to a loopback literal or `localhost`, and only when
  `outbound_allow_loopback` is on (the development policy of `make run`, the demo and the tests);
- no userinfo (`user:pass@host`), a host must be present, no `%` in it (encoded names, zone ids);
- a numeric host must be a canonical IP literal: `2130706433`, `127.1`, `0x7f.0.0.1`, `0177.0.0.1`
  are refused outright (resolvers map them onto addresses that a textual check would miss);
- an address (literal or resolved) must be globally routable: loopback (unless allowed),
  link-local, private, shared (CGNAT 100.64/10), unspecified, multicast, reserved and the cloud
  metadata addresses are refused, also when wrapped in IPv6 (IPv4-mapped, 6to4, NAT64);
- `outbound_allowed_networks` lets private networks through (partners on a VPN), https still
  required; it never lets through metadata, unspecified or multicast addresses;
- the hub's own public origin, and loopback connections to its own port, are refused: a party
  must not make the hub call itself (the loop guard; `hub.egress.hop` catches the other ways).

A refusal raises `EgressRefused`: its message is safe to show to anyone (no address, no port);
`detail` says why, for the operator's log only.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import SplitResult, urlsplit

from hub.errors import HubError

if TYPE_CHECKING:
    from hub.settings import Settings

__all__ = ["METADATA_ADDRESSES", "EgressRefused", "Origin", "OutboundPolicy", "origin_of"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200", "169.254.170.2")
)
_SHARED = ipaddress.ip_network("100.64.0.0/10")  # CGNAT: not "private" to Python, not global either
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_LOCALHOST = ("localhost", "localhost.")
_RESOLVE_SECONDS = 5.0


class EgressRefused(HubError):
    """The hub's outbound policy refuses this URL or address. Not a failure of any receiver: it
    must never count against a receiver's circuit breaker or reachability."""

    default_message = "The hub's outbound policy does not allow this address"

    def __init__(self, detail: str, *, message: str | None = None) -> None:
        super().__init__(message)
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Origin:
    scheme: str
    host: str
    port: int

    def __str__(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"


def _split(url: str) -> SplitResult:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises ValueError on a bad port)
    except ValueError as exc:
        raise EgressRefused(f"unparsable URL ({exc})") from exc
    return parts


def origin_of(url: str) -> Origin | None:
    """(scheme, host, port) with the default port filled in; None for what is no http(s) URL."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    if scheme not in _DEFAULT_PORTS or not host:
        return None
    return Origin(scheme, host, port or _DEFAULT_PORTS[scheme])


def _unwrap(ip: IPAddress) -> IPAddress:
    """The IPv4 address an IPv6 address stands for (mapped, 6to4, NAT64), else itself."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return ip.ipv4_mapped
        if ip.sixtofour is not None:
            return ip.sixtofour
        if ip in _NAT64:
            return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if ip.scope_id:
            return ipaddress.IPv6Address(ip.compressed.split("%", 1)[0])
    return ip


def _numeric_label(label: str) -> bool:
    """A label a URL parser or resolver reads as a number (WHATWG URL: the host is then IPv4)."""
    lowered = label.lower()
    if lowered.startswith("0x"):
        return all(c in "0123456789abcdef" for c in lowered[2:])
    return lowered.isdigit()


def _literal(host: str) -> IPAddress | None:
    """The IP address `host` is, or None for a name. Non-canonical numeric forms are refused."""
    bare = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    try:
        return ipaddress.ip_address(bare)
    except ValueError:
        pass
    labels = bare.rstrip(".").split(".")
    if labels and _numeric_label(labels[-1]):
        try:
            return ipaddress.ip_address(bare.rstrip("."))
        except ValueError as exc:
            raise EgressRefused(f"non-canonical numeric host {host[:60]!r}") from exc
    return None


@dataclass(frozen=True, slots=True)
class OutboundPolicy:
    allow_loopback: bool = False
    allowed_networks: tuple[IPNetwork, ...] = ()
    own_origins: frozenset[Origin] = frozenset()
    own_port: int | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> OutboundPolicy:
        own = origin_of(settings.public_url)
        return cls(
            allow_loopback=settings.outbound_allow_loopback,
            allowed_networks=tuple(ipaddress.ip_network(n, strict=False) for n in settings.outbound_allowed_networks),
            own_origins=frozenset({own} if own else ()),
            own_port=settings.port,
        )

    # --- addresses ------------------------------------------------------------------------

    def address_refusal(self, address: str | IPAddress, port: int | None = None) -> str | None:
        """Why the hub must not connect to `address` (None: it may)."""
        try:
            ip = ipaddress.ip_address(address) if isinstance(address, str) else address
        except ValueError:
            return f"not an IP address: {str(address)[:60]!r}"
        ip = _unwrap(ip)
        if ip in METADATA_ADDRESSES:
            return f"{ip} is a cloud metadata address"
        if ip.is_unspecified:
            return f"{ip} is unspecified"
        if ip.is_multicast:
            return f"{ip} is multicast"
        if ip.is_loopback and port is not None and port == self.own_port:
            return f"{ip} port {port} is the hub itself"
        if any(ip in network for network in self.allowed_networks):
            return None
        if ip.is_loopback:
            return None if self.allow_loopback else f"{ip} is loopback"
        if ip.is_link_local:
            return f"{ip} is link-local"
        if ip in _SHARED:
            return f"{ip} is shared address space (CGNAT)"
        if ip.is_private:
            return f"{ip} is private"
        if ip.is_reserved:
            return f"{ip} is reserved"
        if not ip.is_global:
            return f"{ip} is not globally routable"
        return None

    def check_address(self, address: str | IPAddress, port: int | None = None) -> None:
        reason = self.address_refusal(address, port)
        if reason is not None:
            raise EgressRefused(reason)

    # --- URLs -----------------------------------------------------------------------------

    def check_url(self, url: str) -> str | None:
        """Refuse `url` (EgressRefused) unless the policy allows it as far as can be told without
        DNS. Returns the host name still to resolve, or None when the host is an IP literal."""
        parts = _split(url)
        scheme = parts.scheme.lower()
        if scheme not in _DEFAULT_PORTS:
            raise EgressRefused(f"scheme {scheme[:10]!r} is not http(s)")
        if "@" in parts.netloc:
            raise EgressRefused("userinfo in URL")
        host = (parts.hostname or "").lower()
        if not host:
            raise EgressRefused("no host")
        if "%" in host or any(c.isspace() or ord(c) < 0x21 or ord(c) > 0x7E for c in host):
            raise EgressRefused(f"unusual host {host[:60]!r}")
        port = parts.port or _DEFAULT_PORTS[scheme]
        if Origin(scheme, host.rstrip("."), port) in self.own_origins:
            raise EgressRefused("the hub's own public URL", message="The URL points at the hub itself")
        ip = _literal(host)
        loopback_name = host in _LOCALHOST or host.rstrip(".").endswith(".localhost")
        if scheme == "http":
            loopback = loopback_name or (ip is not None and _unwrap(ip).is_loopback)
            if not (self.allow_loopback and loopback):
                raise EgressRefused("http is allowed only to loopback, in development (https required)")
        if ip is not None:
            self.check_address(ip, port)
            return None
        if loopback_name and not self.allow_loopback:
            raise EgressRefused(f"{host[:60]} is loopback")
        return host

    async def check_resolved(self, url: str, *, timeout: float = _RESOLVE_SECONDS) -> None:
        """`check_url`, then resolve the host and check every address (refused if any is).
        A name that does not resolve is no refusal: calling it fails on its own."""
        host = self.check_url(url)
        if host is None:
            return
        port = urlsplit(url).port or _DEFAULT_PORTS[urlsplit(url).scheme.lower()]
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, TimeoutError, UnicodeError):
            return
        for info in infos:
            self.check_address(str(info[4][0]), port)

    async def check_all(self, urls: Iterable[str], *, timeout: float = _RESOLVE_SECONDS) -> None:
        """`check_resolved` for each URL; each host is resolved once."""
        seen: set[tuple[str, str]] = set()
        for url in urls:
            parts = _split(url)
            key = (parts.scheme.lower(), parts.netloc.lower())
            if key in seen:
                continue
            seen.add(key)
            await self.check_resolved(url, timeout=timeout)
