"""hub.token_vault: tokens the hub accepts are keyed hashes, tokens it sends are encrypted, and
no token is ever stored in clear."""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable

import pytest
from sqlalchemy import text

from hub.db.db import SessionFactory
from hub.token_vault import TokenVault, new_token
from tests.conftest import StartFake
from tests.fakes.party import FakePlatform
from tests.helpers import TEST_SECRET


def test_hash_is_stable_and_keyed() -> None:
    token = "example-token"
    first, again = TokenVault(TEST_SECRET).hash(token), TokenVault(TEST_SECRET).hash(token)
    assert first == again
    assert len(first) == 64 and int(first, 16) >= 0
    assert token not in first
    assert TokenVault(TEST_SECRET + "-other").hash(token) != first
    assert TokenVault(TEST_SECRET).hash(token + "x") != first


def test_encryption_round_trip() -> None:
    vault, token = TokenVault(TEST_SECRET), new_token()
    sealed = vault.encrypt(token)
    assert token not in sealed
    assert vault.encrypt(token) != sealed  # fresh IV every time
    assert vault.decrypt(sealed) == token
    assert TokenVault(TEST_SECRET).decrypt(sealed) == token  # same secret, another process


def test_decrypting_with_another_secret_fails_clearly() -> None:
    sealed = TokenVault(TEST_SECRET).encrypt("example-token")
    with pytest.raises(ValueError, match="secret_key"):
        TokenVault(TEST_SECRET + "-rotated").decrypt(sealed)


def test_item_28_new_tokens_are_short_printable_ascii() -> None:
    tokens = {new_token() for _ in range(50)}
    assert len(tokens) == 50
    for token in tokens:
        assert 0 < len(token) <= 64
        assert all(0x21 <= ord(c) <= 0x7E for c in token)


def _forms(token: str) -> set[str]:
    return {token, base64.b64encode(token.encode()).decode()}


async def test_tokens_are_never_stored_in_clear(
    connect_fake: StartFake,
    start_fake: StartFake,
    hub_mounts: dict[str, object],
    register_hub_at: Callable[..., Awaitable[int]],
    db: SessionFactory,
) -> None:
    sender = await connect_fake([("CPO", "NL", "CPA")])  # the fake registered with the hub
    receiver: FakePlatform = await start_fake([("EMSP", "DE", "EMS")], mounts=hub_mounts)
    token_a = receiver.issue_token_a()
    await register_hub_at(receiver)
    secrets = [sender.token_b, sender.token_c, token_a, receiver.token_b, receiver.token_c]
    assert all(secrets)

    dumped = []
    async with db() as session:
        connection = await session.connection()
        for table in ("platform", "party", "endpoint"):
            rows = (await connection.execute(text(f"SELECT * FROM {table}"))).all()
            dumped += [str(value) for row in rows for value in row]
        query = text("SELECT inbound_token_hash, outbound_token_enc FROM platform")
        stored = (await connection.execute(query)).all()
    database_text = "\n".join(dumped)
    for secret in secrets:
        for form in _forms(str(secret)):
            assert form not in database_text

    # ...and yet the hub can recognise and recover them
    vault = TokenVault(TEST_SECRET)
    hashes = {row[0] for row in stored}
    assert {vault.hash(str(sender.token_c)), vault.hash(str(receiver.token_b))} == hashes
    recovered = {vault.decrypt(row[1]) for row in stored}
    assert recovered == {sender.token_b, receiver.token_c}
