"""Rate limits: a token bucket per platform and module, and one per client address for failed
authentications. Over a limit the hub answers HTTP 429 with an OCPI envelope and `Retry-After`;
the request is neither read further, forwarded, broadcast nor stored.

PER PROCESS: buckets live in this process's memory. With W workers in each of P hub processes, a
platform may send W x P times the configured rate before any of them refuses it (the scale-out
issue may move the buckets to PostgreSQL; until then, divide the limit you mean by W x P).

Platform and module (`rate_limit_per_second`, `rate_limit_burst`, `rate_limit_overrides`):
- Key (platform id, module). The module is the one in the URL for functional modules, the module
  the sealed hub URL stands for on `/ocpi/{version}/proxy/...`, and `versions`, `credentials`,
  `hubclientinfo` for the configuration modules. Custom modules (names the hub does not know)
  share one bucket per platform, `custom`, unless an override names them: otherwise a platform
  could take a fresh bucket per made-up module name.
- Overrides map `"platform:module"`, `"platform:*"` or `"*:module"` (platform = its name) to
  `"RATE/BURST"` or `"off"`; the most specific key wins, as for `validation_overrides`
  (hub.validation.policy). A default rate of 0 means unlimited.
- OCPI has no status code for "slow down": the envelope is 2000 (generic client error) with the
  message "Too many requests for module M: retry after N s"; HTTP 429 and `Retry-After: N` (whole
  seconds, rounded up, at least 1) are what a client's HTTP stack acts on.

Failed authentications per client address (`FAILED_AUTH_PER_SECOND` / `FAILED_AUTH_BURST`, fixed):
an unknown token costs one database read (the negative cache helps only for a token seen before),
so a client address whose failures exhausted its bucket is answered 429 before its token is even
looked up, valid or not, until one failure's worth has refilled. The address is the peer address
uvicorn reports (behind a reverse proxy: the X-Forwarded-For of a proxy in `forwarded_allow_ips`);
IPv6 addresses count per /64, the block one client usually holds.

Cost: O(1) per request (one dict lookup for the address, one resolved limit, one bucket update).
Memory is bounded: buckets sit in an LRU map (an evicted bucket comes back full), failure buckets
in a TTL map that drops them once they would be full again. `clock` is injectable for tests.
"""

from __future__ import annotations

import ipaddress
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cachetools import LRUCache, TTLCache
from starlette.requests import Request

from hub.errors import AuthError, ClientError
from hub.identity import Identity
from hub.ocpi.grammar import known_module

if TYPE_CHECKING:
    from hub.settings import Settings
    from hub.state import HubState

__all__ = [
    "FAILED_AUTH_BURST",
    "FAILED_AUTH_PER_SECOND",
    "Limit",
    "RateLimited",
    "RateLimits",
    "TokenBuckets",
    "admit",
    "parse_limit",
    "parse_overrides",
    "rate_limits",
]

FAILED_AUTH_PER_SECOND = 20.0
FAILED_AUTH_BURST = 40
CUSTOM = "custom"
CONFIGURATION = frozenset({"versions", "credentials", "hubclientinfo"})
_MAX_BUCKETS = 100_000
_MAX_ADDRESSES = 10_000
_MAX_RESOLVED = 10_000


@dataclass(frozen=True, slots=True)
class Limit:
    """`rate` requests per second on average, up to `burst` at once."""

    rate: float
    burst: int


def parse_limit(text: str) -> Limit | None:
    """`"RATE/BURST"` -> Limit, `"off"` -> None (unlimited); anything else is a ValueError."""
    if text.strip().lower() == "off":
        return None
    rate_text, sep, burst_text = text.partition("/")
    try:
        rate, burst = float(rate_text), int(burst_text)
    except ValueError:
        rate, burst = math.nan, 0
    if not sep or not math.isfinite(rate) or rate <= 0 or burst < 1:
        raise ValueError(f"{text!r}: use 'RATE/BURST' (RATE > 0 per second, BURST >= 1 whole requests) or 'off'")
    return Limit(rate, burst)


def parse_overrides(overrides: Mapping[str, str]) -> dict[str, Limit | None]:
    """Checked overrides (settings call this when they load, so a typo stops the hub at start)."""
    parsed: dict[str, Limit | None] = {}
    for key, value in overrides.items():
        platform, sep, module = key.partition(":")
        if not sep or not platform or not module or (platform == "*" and module == "*"):
            raise ValueError(f"rate limit override {key!r}: use 'platform:module', 'platform:*' or '*:module'")
        try:
            parsed[key] = parse_limit(value)
        except ValueError as exc:
            raise ValueError(f"rate limit override {key!r}: {exc}") from None
    return parsed


class RateLimited(ClientError):
    """2000 / HTTP 429 with `Retry-After` (`headers`, sent along by hub.ocpi.envelope.error_response)."""

    http_status = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.headers = {"Retry-After": str(retry_after)}


class _Bucket:
    __slots__ = ("stamp", "tokens")

    def __init__(self, tokens: float, stamp: float) -> None:
        self.tokens = tokens
        self.stamp = stamp


class TokenBuckets:
    """Token buckets by key in a bounded LRU map. `take(key, limit)` is 0.0 when the request may
    pass (one token taken), else the seconds until one token will be there (nothing taken)."""

    def __init__(self, *, maxsize: int = _MAX_BUCKETS, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._buckets: LRUCache[object, _Bucket] = LRUCache(maxsize=maxsize)

    def take(self, key: object, limit: Limit) -> float:
        now = self._clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            self._buckets[key] = _Bucket(limit.burst - 1.0, now)
            return 0.0
        tokens = min(float(limit.burst), bucket.tokens + (now - bucket.stamp) * limit.rate)
        bucket.stamp = now
        if tokens >= 1.0:
            bucket.tokens = tokens - 1.0
            return 0.0
        bucket.tokens = tokens
        return (1.0 - tokens) / limit.rate

    def wait(self, key: object, limit: Limit) -> float:
        """What `take` would answer, without taking anything."""
        bucket = self._buckets.get(key)
        if bucket is None:
            return 0.0
        tokens = min(float(limit.burst), bucket.tokens + (self._clock() - bucket.stamp) * limit.rate)
        return 0.0 if tokens >= 1.0 else (1.0 - tokens) / limit.rate

    def __len__(self) -> int:
        return len(self._buckets)


def _retry_after(wait: float) -> int:
    return max(1, math.ceil(wait))


def _address_key(request: Request) -> str:
    client = request.scope.get("client")
    host = str(client[0]) if client else "?"
    if ":" in host:  # IPv6: one client usually holds a /64
        try:
            return str(ipaddress.ip_network(f"{host.split('%')[0]}/64", strict=False))
        except ValueError:
            return host
    return host


class RateLimits:
    """The hub's limits: per (platform, module), and failed authentications per client address."""

    def __init__(
        self,
        *,
        per_second: float,
        burst: int,
        overrides: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.monotonic,
        failed_auth: Limit = Limit(FAILED_AUTH_PER_SECOND, FAILED_AUTH_BURST),
    ) -> None:
        self.default: Limit | None = Limit(per_second, burst) if per_second > 0 else None
        self._overrides = parse_overrides(overrides or {})
        self._named = frozenset(key.partition(":")[2] for key in self._overrides) - {"*"}
        self._resolved: dict[tuple[str, str], Limit | None] = {}
        self._buckets = TokenBuckets(clock=clock)
        self._failed_auth = failed_auth
        self._failures = TokenBuckets(maxsize=_MAX_ADDRESSES, clock=clock)
        # addresses that failed lately: kept until their bucket would be full again
        self._failing: TTLCache[str, bool] = TTLCache(
            maxsize=_MAX_ADDRESSES, ttl=failed_auth.burst / failed_auth.rate, timer=clock
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> RateLimits:
        return cls(
            per_second=settings.rate_limit_per_second,
            burst=settings.rate_limit_burst,
            overrides=settings.rate_limit_overrides,
        )

    def module_key(self, module: str) -> str:
        """The bucket name of a module: itself when the hub knows it or an override names it."""
        if known_module(module) or module in CONFIGURATION or module in self._named:
            return module
        return CUSTOM

    def limit_for(self, platform: str, module: str) -> Limit | None:
        key = (platform, module)
        try:
            return self._resolved[key]
        except KeyError:
            pass
        found = self.default
        for name in (f"{platform}:{module}", f"{platform}:*", f"*:{module}"):
            if name in self._overrides:
                found = self._overrides[name]
                break
        if len(self._resolved) < _MAX_RESOLVED:  # platform names come from the registry
            self._resolved[key] = found
        return found

    def check(self, identity: Identity, module: str) -> None:
        """Take one request of `module` from the platform's bucket, or raise RateLimited."""
        name = self.module_key(module)
        limit = self.limit_for(identity.platform_name, name)
        if limit is None:
            return
        wait = self._buckets.take((identity.platform_id, name), limit)
        if wait > 0.0:
            seconds = _retry_after(wait)
            raise RateLimited(f"Too many requests for module {name}: retry after {seconds} s", retry_after=seconds)

    def check_address(self, request: Request) -> None:
        """Before authenticating: an address out of failed authentications is refused at once."""
        if not self._failing:
            return
        address = _address_key(request)
        if address not in self._failing:
            return
        wait = self._failures.wait(address, self._failed_auth)
        if wait > 0.0:
            raise _auth_limited(wait)

    def failed(self, request: Request) -> RateLimited | None:
        """Count one failed authentication of the request's address; the 429 to raise instead of
        the 401 when that exhausted the address's bucket."""
        address = _address_key(request)
        self._failing[address] = True
        wait = self._failures.take(address, self._failed_auth)
        return _auth_limited(wait) if wait > 0.0 else None


def _auth_limited(wait: float) -> RateLimited:
    seconds = _retry_after(wait)
    return RateLimited(
        f"Too many failed authentications from this address: retry after {seconds} s", retry_after=seconds
    )


def rate_limits(request: Request) -> RateLimits:
    """The process's RateLimits, built once by the composition root (hub.app)."""
    hub: HubState = request.app.state.hub
    return hub.rate_limits


async def admit(request: Request, module: str | None, *, registration_ok: bool = False) -> tuple[Identity, str]:
    """Authenticate (hub.authentication) under both limits: the address's failed authentications
    first, then the platform's bucket for `module` (None: the caller checks once it knows the
    module, `rate_limits(request).check`). Returns the identity and the token presented."""
    limits = rate_limits(request)
    limits.check_address(request)
    hub: HubState = request.app.state.hub
    try:
        found = await hub.auth.require_token(request, registration_ok=registration_ok)
    except AuthError:
        limited = limits.failed(request)
        if limited is not None:
            raise limited from None
        raise
    if module is not None:
        limits.check(found[0], module)
    return found
