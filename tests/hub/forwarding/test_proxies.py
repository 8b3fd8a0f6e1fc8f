"""forwarding.proxies: sealed hub URLs open only for the platform they were issued to, unaltered and
unexpired, and never show the URL they stand for."""

from __future__ import annotations

from hub.forwarding.proxies import Proxies, ProxyKind, ProxyTarget
from hub.types import PartyKey

TARGET = ProxyTarget(
    kind=ProxyKind.CALLBACK,
    module="commands",
    target_url="https://emsp.example/internal/cb/42?x=1",
    target_platform_id=3,
    caller_platform_id=7,
    to=PartyKey.of("DE", "EMS"),
    from_=PartyKey.of("NL", "CPA"),
)


def proxies(now: list[float], secret: str = "a secret of sixteen+ chars") -> Proxies:
    return Proxies(secret_key=secret, public_url="https://hub.example", ttl_seconds=60, clock=lambda: now[0])


def sealed_of(url: str) -> str:
    assert url.startswith("https://hub.example/ocpi/2.2.1/proxy/")
    return url.rsplit("/", 1)[1]


def test_a_sealed_url_opens_for_its_caller_and_hides_its_target() -> None:
    now = [1_000_000.0]
    url = proxies(now).mint(TARGET, version="2.2.1")
    assert "emsp.example" not in url and "internal" not in url
    assert proxies(now).open(sealed_of(url), caller_platform_id=7) == TARGET  # any process, same secret


def test_another_caller_a_tampered_seal_another_secret_or_an_old_seal_get_nothing() -> None:
    now = [1_000_000.0]
    sealed = sealed_of(proxies(now).mint(TARGET, version="2.2.1"))
    assert proxies(now).open(sealed, caller_platform_id=3) is None
    flipped = sealed[:40] + ("A" if sealed[40] != "A" else "B") + sealed[41:]
    assert proxies(now).open(flipped, caller_platform_id=7) is None
    assert proxies(now, secret="another secret of 16+ chars").open(sealed, caller_platform_id=7) is None
    for garbage in ("", "x" * 5000, "not base64 at all!", "\u00e9"):
        assert proxies(now).open(garbage, caller_platform_id=7) is None
    now[0] += 61
    assert proxies(now).open(sealed, caller_platform_id=7) is None
