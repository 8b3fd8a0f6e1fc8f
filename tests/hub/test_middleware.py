"""hub.ingress.middleware and the envelope: what every hub response looks like (checklist A.9,
A.10, A.12) and the body size limit."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone

import httpx
import pytest

from hub.ocpi.envelope import ocpi_timestamp
from hub.registration.platforms import PlatformAdmin, parse_role
from tests.conftest import StartFake
from tests.helpers import auth_header

OCPI_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z?$")


async def sample_responses(
    client: httpx.AsyncClient, admin: PlatformAdmin, connect_fake: StartFake, ids: dict[str, str] | None = None
) -> list[httpx.Response]:
    """One response of each kind the hub gives today: successes and the error paths."""
    fake = await connect_fake([("CPO", "NL", "CPA")])
    token_c = auth_header(str(fake.token_c))
    token_a = auth_header((await admin.add(name="planned", roles=[parse_role("EMSP:DE:EMS")])).token_a)
    h = ids or {}
    return [
        await client.get("/ocpi/versions", headers=token_c | h),  # 200
        await client.get("/ocpi/2.2.1", headers=token_c | h),  # 200
        await client.get("/ocpi/2.2.1/credentials", headers=token_c | h),  # 200
        await client.get("/ocpi/versions", headers=h),  # 401
        await client.get("/ocpi/9.9.9", headers=token_c | h),  # 404 unknown version
        await client.post("/ocpi/2.2.1/credentials", headers=token_c | h, json={}),  # 405 registered
        await client.put("/ocpi/2.2.1/credentials", headers=token_a | h, json={}),  # 405 not registered
        await client.post("/ocpi/2.2.1/credentials", headers=token_a | h, content=b"{nope"),  # 400
        await client.post("/ocpi/2.2.1/credentials", headers=token_a | h, json={"token": 1}),  # 2001
    ]


async def test_item_09_every_response_is_an_envelope_with_status_code_and_timestamp(
    hub_client: httpx.AsyncClient, admin: PlatformAdmin, connect_fake: StartFake
) -> None:
    responses = await sample_responses(hub_client, admin, connect_fake)
    assert [r.status_code for r in responses[:5]] == [200, 200, 200, 401, 404]
    for response in responses:
        assert response.headers["content-type"].startswith("application/json")
        body = response.json()
        assert isinstance(body["status_code"], int), response.text
        assert OCPI_DATETIME.match(body["timestamp"]), body["timestamp"]
        if response.status_code == 200 and body["status_code"] < 2000:
            assert body["status_code"] == 1000
            assert "data" in body
    assert [r.json()["status_code"] for r in responses[:3]] == [1000, 1000, 1000]
    assert all(r.json()["status_code"] >= 2000 for r in responses[3:])


async def test_item_10_every_response_echoes_request_and_correlation_ids(
    hub_client: httpx.AsyncClient, admin: PlatformAdmin, connect_fake: StartFake
) -> None:
    ids = {"X-Request-ID": "req-" + uuid.uuid4().hex, "X-Correlation-ID": "corr-" + uuid.uuid4().hex}
    for response in await sample_responses(hub_client, admin, connect_fake, ids):
        assert response.headers["x-request-id"] == ids["X-Request-ID"], response.request.url
        assert response.headers["x-correlation-id"] == ids["X-Correlation-ID"]


async def test_item_10_ids_are_made_up_when_the_caller_sent_none(hub_client: httpx.AsyncClient) -> None:
    first, second = await hub_client.get("/ocpi/versions"), await hub_client.get("/ocpi/versions")
    for response in (first, second):
        uuid.UUID(response.headers["x-request-id"])
        uuid.UUID(response.headers["x-correlation-id"])
    assert first.headers["x-request-id"] != second.headers["x-request-id"]


async def test_item_12_hub_timestamps_use_z_never_an_offset(hub_client: httpx.AsyncClient) -> None:
    stamp = (await hub_client.get("/ocpi/versions")).json()["timestamp"]
    assert stamp.endswith("Z") and "+" not in stamp
    moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    assert abs(datetime.now(UTC) - moment) < timedelta(minutes=1)


def test_item_12_timestamps_are_converted_to_utc() -> None:
    amsterdam = timezone(timedelta(hours=2))
    assert ocpi_timestamp(datetime(2024, 6, 1, 14, 30, 5, 999, tzinfo=amsterdam)) == "2024-06-01T12:30:05Z"


@pytest.mark.hub_settings(max_body_bytes=1024)
async def test_body_over_the_limit_is_413_with_an_envelope(hub_client: httpx.AsyncClient, admin: PlatformAdmin) -> None:
    headers = auth_header((await admin.add(name="cpo", roles=[parse_role("CPO:NL:CPA")])).token_a)
    ids = {"X-Request-ID": "big-1", "X-Correlation-ID": "big-2"}
    big = b'{"token": "' + b"x" * 2000 + b'"}'

    declared = await hub_client.post("/ocpi/2.2.1/credentials", headers=headers | ids, content=big)

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(big), 256):
            yield big[start : start + 256]

    streamed = await hub_client.post("/ocpi/2.2.1/credentials", headers=headers | ids, content=chunks())
    for response in (declared, streamed):
        assert response.status_code == 413
        body = response.json()
        assert body["status_code"] >= 2000 and OCPI_DATETIME.match(body["timestamp"])
        assert response.headers["x-request-id"] == "big-1"
    assert "content-length" not in {k.lower() for k in streamed.request.headers}


@pytest.mark.hub_settings(max_body_bytes=1024)
async def test_body_at_the_limit_is_read(hub_client: httpx.AsyncClient, admin: PlatformAdmin) -> None:
    headers = auth_header((await admin.add(name="cpo", roles=[parse_role("CPO:NL:CPA")])).token_a)
    padded = b'{"pad": "' + b"x" * (1024 - 11) + b'"}'
    assert len(padded) == 1024
    reply = await hub_client.post("/ocpi/2.2.1/credentials", headers=headers, content=padded)
    assert reply.json()["status_code"] == 2001  # read and parsed; it is just not a Credentials object
