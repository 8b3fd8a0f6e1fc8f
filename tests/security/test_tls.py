"""TLS (issue 13, item 7), with a throwaway CA made at test time (trustme) and real TLS on
loopback sockets:

- the hub serves HTTPS itself (`hub.server.server_config`), TLS 1.2 at least: a client that offers
  only TLS 1.1 or 1.0 is refused (and the same client does connect to a lenient server, so the
  refusal is the hub's);
- outbound TLS is verified (`hub.egress.tls`): a receiver whose certificate comes from the test CA
  is reached when outbound_ca_file is that CA, and refused (4003, nothing sent) when not; a
  receiver that requires a client certificate gets the hub's outbound one;
- mutual TLS per platform: a platform pinned to a client certificate is served only when it
  presents exactly that one (else 401 / 2000, like a bad token); an unpinned one is unaffected.
"""

from __future__ import annotations

import asyncio
import hashlib
import socket
import ssl
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import trustme
from starlette.applications import Starlette

from hub.db.db import SessionFactory
from hub.errors import InvalidParameters
from hub.registration.platforms import PlatformAdmin, parse_role
from hub.server import server_config
from hub.settings import Settings
from tests.fakes.ocpi import encode_token, new_id
from tests.fakes.party import FakePlatform
from tests.fakes.serving import serve_asgi
from tests.faults.harness import location, point_endpoints, wait_until
from tests.helpers import HUB_URL, HUB_VERSIONS_URL, running_app

SQLITE_ONLY = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
StartFake = Callable[..., Awaitable[FakePlatform]]


@dataclass(frozen=True)
class Pki:
    ca: trustme.CA
    ca_file: str
    server_cert: str  # for 127.0.0.1
    server_key: str
    client_cert: str  # a client certificate from the same CA ...
    client_key: str
    client_sha256: str  # ... and its pin
    other_cert: str  # another client certificate from the same CA
    other_key: str
    foreign_cert: str  # a client certificate from a CA the hub does not know
    foreign_key: str


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    ca, foreign = trustme.CA(), trustme.CA()
    files: dict[str, str] = {}

    def write(name: str, blob: trustme.Blob) -> str:
        path = tmp_path / f"{name}.pem"
        blob.write_to_path(str(path))
        files[name] = str(path)
        return str(path)

    write("ca", ca.cert_pem)
    for name, issuer, identity in (
        ("server", ca, "127.0.0.1"),
        ("client", ca, "emsp.example.com"),
        ("other", ca, "emsp.example.com"),
        ("foreign", foreign, "emsp.example.com"),
    ):
        leaf = issuer.issue_cert(identity)
        write(f"{name}_cert", leaf.cert_chain_pems[0])
        write(f"{name}_key", leaf.private_key_pem)
    der = ssl.PEM_cert_to_DER_cert(Path(files["client_cert"]).read_text())
    return Pki(
        ca=ca,
        ca_file=files["ca"],
        server_cert=files["server_cert"],
        server_key=files["server_key"],
        client_cert=files["client_cert"],
        client_key=files["client_key"],
        client_sha256=hashlib.sha256(der).hexdigest(),
        other_cert=files["other_cert"],
        other_key=files["other_key"],
        foreign_cert=files["foreign_cert"],
        foreign_key=files["foreign_key"],
    )


def client_context(pki: Pki, cert: tuple[str, str] | None = None) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=pki.ca_file)
    if cert is not None:
        context.load_cert_chain(*cert)
    return context


@asynccontextmanager
async def https_hub(settings: Settings) -> AsyncIterator[tuple[Starlette, str]]:
    """The in-process hub app, served with `hub.server.server_config(settings)` (TLS, timeouts,
    protocol) on a loopback socket; yields the app and its https base URL."""
    async with running_app(settings) as app:
        config = server_config(settings, app=app, lifespan="off", log_config=None)
        async with serve_asgi(app, config=config) as url:
            yield app, url


async def register(app: Starlette, admin: PlatformAdmin, start_fake: StartFake, role: str) -> FakePlatform:
    """A fake platform registered with `app` through the credentials handshake (ASGI transport)."""
    kind, cc, pid = role.split(":")
    fake = await start_fake([(kind, cc, pid)], mounts={HUB_URL: httpx.ASGITransport(app=app)})
    added = await admin.add(name=f"{kind}-{cc}-{pid}".lower(), roles=[parse_role(role)])
    await fake.register_with_hub(HUB_VERSIONS_URL, added.token_a)
    fake.platform_id = added.platform.id
    return fake


def handshake(port: int, version: ssl.TLSVersion, pki: Pki) -> str:
    """A blocking TLS handshake offering exactly `version`: the version agreed, or why not."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(cafile=pki.ca_file)
    with warnings.catch_warnings():  # TLS 1.0 / 1.1 are deprecated: that is the point
        warnings.simplefilter("ignore", DeprecationWarning)
        context.minimum_version = context.maximum_version = version
    context.set_ciphers("DEFAULT:@SECLEVEL=0")  # let the client really offer them
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        try:
            with context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
                return str(tls.version())
        except (ssl.SSLError, ConnectionError) as exc:
            return f"refused: {exc}"


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


# --- the hub serves HTTPS --------------------------------------------------------------------


@SQLITE_ONLY
async def test_the_hub_serves_https_with_tls_1_2_at_least(hub_settings: Settings, pki: Pki) -> None:
    settings = hub_settings.model_copy(update={"tls_cert_file": pki.server_cert, "tls_key_file": pki.server_key})
    async with https_hub(settings) as (_, url):
        assert url.startswith("https://")
        async with httpx.AsyncClient(verify=client_context(pki), timeout=5) as client:
            reply = await client.get(f"{url}/health/live")
        assert reply.status_code == 200 and reply.extensions["network_stream"].get_extra_info("ssl_object")
        offered = {
            version: await asyncio.to_thread(handshake, _port(url), version, pki)
            for version in (ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1, ssl.TLSVersion.TLSv1_2)
        }
    assert offered[ssl.TLSVersion.TLSv1_2] == "TLSv1.2"
    assert offered[ssl.TLSVersion.TLSv1_1].startswith("refused"), offered
    assert offered[ssl.TLSVersion.TLSv1].startswith("refused"), offered

    # control: the same TLS 1.1 client does connect to a server that allows it
    lenient = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    lenient.load_cert_chain(pki.server_cert, pki.server_key)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        lenient.minimum_version = ssl.TLSVersion.TLSv1_1
    lenient.set_ciphers("DEFAULT:@SECLEVEL=0")

    async def nothing(scope: Any, receive: Any, send: Any) -> None:
        return None

    async with serve_asgi(nothing, lifespan="off", ssl_context_factory=lambda *_: lenient, ssl_certfile="x") as other:
        assert await asyncio.to_thread(handshake, _port(other), ssl.TLSVersion.TLSv1_1, pki) == "TLSv1.1"


# --- outbound TLS ----------------------------------------------------------------------------


async def routed_get(app: Starlette, emsp: FakePlatform) -> tuple[int, int | None]:
    """The eMSP GETs NL*CPA's LOC1 through `app`: (HTTP status, OCPI status)."""
    assert emsp.outbound_token is not None
    headers = {
        "Authorization": encode_token(emsp.outbound_token),
        "X-Request-ID": new_id(),
        "X-Correlation-ID": new_id(),
        "OCPI-to-country-code": "NL",
        "OCPI-to-party-id": "CPA",
        "OCPI-from-country-code": "DE",
        "OCPI-from-party-id": "EMS",
    }
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=HUB_URL) as client:
        reply = await client.get("/ocpi/2.2.1/sender/locations/LOC1", headers=headers)
    return reply.status_code, reply.json().get("status_code")


@SQLITE_ONLY
async def test_outbound_tls_is_verified_with_the_configured_ca(
    hub_settings: Settings, admin: PlatformAdmin, db: SessionFactory, start_fake: StartFake, pki: Pki
) -> None:
    trusting = hub_settings.model_copy(update={"outbound_ca_file": pki.ca_file})
    presenting = trusting.model_copy(
        update={"outbound_client_cert_file": pki.client_cert, "outbound_client_key_file": pki.client_key}
    )
    async with running_app(hub_settings) as system_store, running_app(trusting) as with_ca:
        async with running_app(presenting) as with_cert:
            cpo = await register(with_ca, admin, start_fake, "CPO:NL:CPA")
            emsp = await register(with_ca, admin, start_fake, "EMSP:DE:EMS")
            cpo.add_object("locations", location("LOC1"))
            assert cpo.platform_id is not None
            tls: dict[str, Any] = {"ssl_certfile": pki.server_cert, "ssl_keyfile": pki.server_key}
            mutual = tls | {"ssl_cert_reqs": ssl.CERT_REQUIRED, "ssl_ca_certs": pki.ca_file}
            async with (
                serve_asgi(cpo.app, lifespan="off", **tls) as tls_url,
                serve_asgi(cpo.app, lifespan="off", **mutual) as mutual_url,
            ):

                def arrived_at(url: str) -> int:
                    host = url.split("://", 1)[1]
                    return sum(r.header("host") == host and r.path.endswith("/LOC1") for r in cpo.requests)

                async def answered(app: Starlette, expected: tuple[int, int]) -> bool:
                    return await routed_get(app, emsp) == expected

                async def served_from(app: Starlette, url: str) -> bool:  # once its cache has the new URL
                    return await answered(app, (200, 1000)) and arrived_at(url) > 0

                await point_endpoints(db, cpo.platform_id, tls_url, modules=["locations"])
                # the hub that trusts the test CA reaches the receiver over TLS ...
                await wait_until(lambda: served_from(with_ca, tls_url), timeout=10, what="reached with the CA")
                assert arrived_at(tls_url) == 1
                # ... the one with the system store refuses its certificate: 4003, nothing sent
                await wait_until(lambda: answered(system_store, (200, 4003)), timeout=10, what="refused without")
                assert arrived_at(tls_url) == 1

                # a receiver that requires a client certificate gets the hub's outbound one
                await point_endpoints(db, cpo.platform_id, mutual_url, modules=["locations"])
                await wait_until(lambda: served_from(with_cert, mutual_url), timeout=10, what="mTLS with a cert")
                assert arrived_at(mutual_url) == 1
                await wait_until(lambda: answered(with_ca, (200, 4003)), timeout=10, what="mTLS without a cert")
                assert arrived_at(mutual_url) == 1


# --- mutual TLS per platform -----------------------------------------------------------------


async def test_a_pinned_platform_must_present_its_client_certificate(
    hub_settings: Settings, admin: PlatformAdmin, start_fake: StartFake, pki: Pki
) -> None:
    settings = hub_settings.model_copy(
        update={"tls_cert_file": pki.server_cert, "tls_key_file": pki.server_key, "tls_client_ca_file": pki.ca_file}
    )
    async with https_hub(settings) as (app, url):
        pinned = await register(app, admin, start_fake, "EMSP:DE:EMS")
        free = await register(app, admin, start_fake, "CPO:NL:CPA")
        assert pinned.platform_id is not None and pinned.outbound_token and free.outbound_token
        with pytest.raises(InvalidParameters):
            await admin.pin_client_cert(pinned.platform_id, "not-a-sha256")
        colons = ":".join(pki.client_sha256.upper()[i : i + 2] for i in range(0, 64, 2))  # as openssl shows it
        stored = await admin.pin_client_cert(pinned.platform_id, colons)
        assert stored == pki.client_sha256

        async def versions(token: str, cert: tuple[str, str] | None = None) -> tuple[int, int]:
            async with httpx.AsyncClient(verify=client_context(pki, cert), timeout=5) as client:
                reply = await client.get(f"{url}/ocpi/versions", headers={"Authorization": encode_token(token)})
            return reply.status_code, reply.json()["status_code"]

        async def refused_without_cert() -> bool:
            return await versions(pinned.outbound_token or "") == (401, 2000)

        await wait_until(refused_without_cert, timeout=10, what="the pin is in force")
        assert await versions(pinned.outbound_token, (pki.client_cert, pki.client_key)) == (200, 1000)
        assert await versions(pinned.outbound_token, (pki.other_cert, pki.other_key)) == (401, 2000)
        assert await versions(free.outbound_token) == (200, 1000)  # unpinned: no certificate needed
        assert await versions(free.outbound_token, (pki.other_cert, pki.other_key)) == (200, 1000)
        # a certificate from a CA the hub does not know ends the handshake
        with pytest.raises(httpx.TransportError):
            await versions(free.outbound_token, (pki.foreign_cert, pki.foreign_key))
        # without TLS at all (here: the ASGI transport) a pinned platform is refused too
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=HUB_URL) as plain:
            reply = await plain.get("/ocpi/versions", headers={"Authorization": encode_token(pinned.outbound_token)})
            assert reply.status_code == 401

        await admin.pin_client_cert(pinned.platform_id, None)

        async def served_without_cert() -> bool:
            return await versions(pinned.outbound_token or "") == (200, 1000)

        await wait_until(served_without_cert, timeout=10, what="the pin is lifted")
