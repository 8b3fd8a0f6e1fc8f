"""No secrets and no personal data in the hub's logs, at DEBUG (issue 13 item 6).

A hub process logging at DEBUG in JSON goes through registration, a broadcast Token, a routed
Token, Open Routing by uid and a failed authentication. Its whole output must contain none of the
credentials tokens, the bad token, the uids, contract ids or visual numbers, and no SQL parameter
list; where a uid is logged, its keyed short hash is.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Awaitable, Callable
from typing import Any

from hub.db.db import SessionFactory
from hub.observability.logging import fingerprint, log_key, redact
from hub.registration.platforms import PlatformAdmin, parse_role
from tests.drain import outbox_drained
from tests.fakes.party import FakePlatform
from tests.helpers import TEST_OPERATOR_TOKEN, TEST_SECRET, HubProcess

BROADCAST_UID, ROUTED_UID = "LOGUIDB0001", "LOGUIDR0002"
BAD_TOKEN = "bad-token-that-must-not-be-logged-42"
HUB = ("NL", "HUB")
# SQL with its bound parameters: SQLAlchemy's echo ("[generated in 0.0001s] ('NL', 'CPA')") and
# a driver's debug line ("executing functools.partial(<...execute...>, 'SELECT ... ?', ('NL', ...))")
SQL_PARAMETERS = re.compile(
    r"\[(generated in|cached since|raw sql)[^\]]*\]\s*([\({]|\[(?!SQL parameters hidden))"
    r"|'(SELECT|INSERT|UPDATE|DELETE)\b[^']*',\s*[\(\[]",
    re.I,
)


def token(uid: str) -> dict[str, Any]:
    return {
        "country_code": "DE",
        "party_id": "EMS",
        "uid": uid,
        "type": "RFID",
        "contract_id": f"DE-EMS-CONTRACTLOG-{uid}",
        "visual_number": f"VISUALLOG-{uid}",
        "issuer": "Issuer",
        "valid": True,
        "whitelist": "ALLOWED",
        "last_updated": "2026-01-01T00:00:00Z",
    }


async def connect(
    hub: HubProcess, admin: PlatformAdmin, start_fake: Callable[..., Awaitable[FakePlatform]], role: str
) -> tuple[FakePlatform, str]:
    r, cc, pid = role.split(":")
    fake = await start_fake([(r, cc, pid)])
    added = await admin.add(name=f"{r}-{cc}-{pid}".lower(), roles=[parse_role(role)])
    await fake.register_with_hub(hub.versions_url, added.token_a)
    return fake, added.token_a


async def test_debug_logs_hold_no_token_uid_contract_or_sql_parameters(
    start_hub: Callable[..., Awaitable[HubProcess]],
    start_fake: Callable[..., Awaitable[FakePlatform]],
    admin: PlatformAdmin,
    db: SessionFactory,
) -> None:
    hub = await start_hub(extra_env={"HUB_LOG_LEVEL": "DEBUG", "HUB_LOG_FORMAT": "json"})
    cpo, cpo_a = await connect(hub, admin, start_fake, "CPO:NL:CPA")
    emsp, emsp_a = await connect(hub, admin, start_fake, "EMSP:DE:EMS")
    for uid in (BROADCAST_UID, ROUTED_UID):
        emsp.add_object("tokens", token(uid))
    v = f"{hub.url}/ocpi/2.2.1"

    answers = [
        await emsp.request_hub("PUT", f"{v}/receiver/tokens/DE/EMS/{BROADCAST_UID}", json=token(BROADCAST_UID), to=HUB),
        await emsp.request_hub(
            "PUT", f"{v}/receiver/tokens/DE/EMS/{ROUTED_UID}", json=token(ROUTED_UID), to=("NL", "CPA")
        ),
        await cpo.request_hub(  # Open Routing by uid: the hub looks the uid up in its store
            "POST",
            f"{v}/sender/tokens/{ROUTED_UID}/authorize",
            params={"type": "RFID"},
            headers={"OCPI-from-country-code": "NL", "OCPI-from-party-id": "CPA"},
        ),
    ]
    assert [a.json()["status_code"] for a in answers] == [1000, 1000, 1000], [a.text for a in answers]
    refused = await cpo.request_hub("GET", f"{v}/sender/locations", to=HUB, token=BAD_TOKEN)
    assert refused.status_code == 401
    await outbox_drained(db)
    pushed = sorted(r.path.rsplit("/", 1)[-1] for r in cpo.received(module="tokens", method="PUT"))
    assert pushed == [BROADCAST_UID, ROUTED_UID]

    logs = hub.logs()
    assert '"event":"store_updated"' in logs  # DEBUG events were written
    secrets = [cpo_a, emsp_a, BAD_TOKEN, TEST_SECRET, TEST_OPERATOR_TOKEN]
    secrets += [t for f in (cpo, emsp) for t in (f.token_b, f.token_c) if t]
    secrets += [base64.b64encode(s.encode()).decode() for s in list(secrets)]
    for uid in (BROADCAST_UID, ROUTED_UID):
        secrets += [uid, uid.lower(), f"DE-EMS-CONTRACTLOG-{uid}", f"VISUALLOG-{uid}"]
    leaked = [s for s in secrets if s in logs]
    assert leaked == [], leaked
    assert SQL_PARAMETERS.search(logs) is None, SQL_PARAMETERS.search(logs)
    # where the store logs a token, it logs the keyed short hash of its uid
    key = log_key(TEST_SECRET)
    for uid in (BROADCAST_UID, ROUTED_UID):
        assert fingerprint(uid, key=key) in logs, uid


def test_redact_hides_secret_fields_and_hashes_personal_ones_at_any_depth() -> None:
    """The processor every event passes (the hub's key, or this process's random one)."""
    event = {
        "event": "something",
        "Authorization": "Token abc",
        "token_c": "ccc",
        "body": b'{"uid": "X"}',
        "uid": "UID123",
        "nested": {"contract_id": "NL-ABC-C1", "list": [{"visual_number": "V1", "password": "p"}], "n": 3},
        "module": "tokens",
    }
    cleaned = redact(None, "info", dict(event))
    assert cleaned["Authorization"] == cleaned["token_c"] == cleaned["body"] == "[redacted]"
    assert cleaned["uid"] == "~" + fingerprint("UID123")
    assert cleaned["nested"]["contract_id"] == "~" + fingerprint("NL-ABC-C1")
    assert cleaned["nested"]["list"][0] == {"visual_number": "~" + fingerprint("V1"), "password": "[redacted]"}
    assert (cleaned["nested"]["n"], cleaned["module"], cleaned["event"]) == (3, "tokens", "something")
