"""Readiness without details for strangers (issue 13 item 6): `/health/ready` tells anyone up or
down; the checks (receivers' origins, breaker states, counts) only the operator, with
`Authorization: Bearer <operator_token>`."""

from __future__ import annotations

import httpx
import pytest

OPERATOR_TOKEN = "operator-token-for-this-test-0123"


@pytest.mark.hub_settings(operator_token=OPERATOR_TOKEN)
async def test_details_only_for_the_operator_token(hub_client: httpx.AsyncClient) -> None:
    strangers = [
        {},
        {"Authorization": "Bearer wrong-token"},
        {"Authorization": f"Bearer {OPERATOR_TOKEN}x"},
        {"Authorization": f"Token {OPERATOR_TOKEN}"},  # not the operator scheme
        {"Authorization": "Bearer "},
    ]
    for headers in strangers:
        answer = await hub_client.get("/health/ready", headers=headers)
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"status": "ok"}, headers

    operator = await hub_client.get("/health/ready", headers={"Authorization": f"Bearer {OPERATOR_TOKEN}"})
    assert operator.status_code == 200
    checks = operator.json()["checks"]
    assert checks["database"] == "ok" and checks["open_breakers"] == 0 and "dispatcher" in checks


async def test_no_operator_token_means_no_details_for_anyone(hub_client: httpx.AsyncClient) -> None:
    for headers in ({}, {"Authorization": "Bearer "}, {"Authorization": "Bearer None"}):
        answer = await hub_client.get("/health/ready", headers=headers)
        assert answer.json() == {"status": "ok"}, headers
