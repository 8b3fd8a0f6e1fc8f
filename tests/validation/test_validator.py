"""hub.validation.PayloadValidator: modes, messages, counting and logging, on parsed payloads."""

from __future__ import annotations

from typing import Any

import pytest
import structlog

from hub.errors import HubError, InvalidParameters
from hub.settings import Settings
from hub.types import InterfaceRole
from hub.validation import PayloadValidator, ValidationContext
from hub.validation.policy import ValidationPolicy
from tests.helpers import TEST_SECRET
from tests.validation.payloads import envelope, evse, location, token

R, S = InterfaceRole.RECEIVER, InterfaceRole.SENDER


def ctx(
    module: str = "locations",
    interface: InterfaceRole = R,
    method: str = "PUT",
    rest: str = "NL/CPA/LOC1",
    version: str = "2.2.1",
) -> ValidationContext:
    return ValidationContext(
        sender_platform="cpo-a",
        receiver_platform="emsp-b",
        version=version,
        module=module,
        interface=interface,
        method=method,
        rest=rest,
    )


def validator(mode: str = "strict", **overrides: Any) -> PayloadValidator:
    return PayloadValidator(policy=ValidationPolicy(mode, overrides))  # type: ignore[arg-type]


def test_valid_push_passes_in_strict_mode() -> None:
    validator().check_request(ctx(), location())
    validator().check_request(ctx(rest="NL/CPA/LOC1/EVSE1"), evse())
    validator().check_request(ctx(rest="NL/CPA/LOC1/EVSE1/1"), evse()["connectors"][0])
    validator().check_request(
        ctx(method="PATCH", rest="NL/CPA/LOC1/EVSE1"), {"status": "CHARGING", "last_updated": "2026-01-01T00:00:00Z"}
    )


def test_strict_request_is_2001_naming_path_and_rule() -> None:
    bad = location(evses=[evse(), evse(status="BROKEN")])
    with pytest.raises(InvalidParameters) as caught:
        validator().check_request(ctx(), bad)
    assert caught.value.status_code == 2001
    assert caught.value.message == "Invalid Location: evses[1].status: not a valid Status"


def test_message_counts_further_violations_and_never_echoes_values() -> None:
    secret = "SECRET-UID-" + "x" * 40
    bad = token(uid=secret, whitelist="SOMETIMES", last_updated="2026-01-01T00:00:00+01:00")
    with pytest.raises(InvalidParameters) as caught:
        validator().check_request(ctx(module="tokens", rest="DE/EMS/X"), bad)
    assert caught.value.message == "Invalid Token: uid: longer than 36 characters (and 2 more)"
    assert "SECRET" not in caught.value.message and "SOMETIMES" not in caught.value.message


def test_strict_reply_is_4000_with_the_data_path() -> None:
    reply = envelope([location(), location(), location(), location(evses=[evse(status="FOO")])])
    with pytest.raises(HubError) as caught:
        validator().check_reply(ctx(interface=S, method="GET", rest=""), reply)
    assert caught.value.status_code == 4000
    assert caught.value.message == "Receiver sent an invalid Location: data[3].evses[0].status: not a valid Status"


def test_replies_that_are_errors_are_not_validated() -> None:
    validator().check_reply(ctx(interface=S, method="GET", rest=""), envelope({"nonsense": 1}, status_code=2001))
    validator().check_reply(ctx(interface=S, method="GET", rest="LOC1"), envelope(status_code=3000))


def test_object_reply_needs_data_but_list_reply_may_be_empty() -> None:
    with pytest.raises(HubError, match="data: required field missing"):
        validator().check_reply(ctx(interface=R, method="GET"), envelope())
    validator().check_reply(ctx(interface=S, method="GET", rest=""), envelope())
    validator().check_reply(ctx(interface=S, method="GET", rest=""), envelope([]))


def test_unmapped_combinations_are_not_validated() -> None:
    v = validator()
    v.check_request(ctx(module="locations", method="POST"), {"anything": True})
    v.check_request(ctx(module="x-custom", method="PUT"), [1, 2, 3])
    v.check_request(ctx(rest="NL/CPA"), {"partial": "path"})
    v.check_request(ctx(version="9.9"), {"unknown": "version"})
    v.check_request(ctx(module="commands", method="POST", rest="X_FUTURE_COMMAND"), {})
    v.check_reply(ctx(module="locations", method="PUT"), envelope({"not": "checked"}))


@pytest.mark.parametrize(
    ("command", "body", "path"),
    [
        ("START_SESSION", {"response_url": "https://x.example/r", "location_id": "L"}, "token"),
        ("STOP_SESSION", {"response_url": "https://x.example/r"}, "session_id"),
        ("CANCEL_RESERVATION", {"response_url": "https://x.example/r"}, "reservation_id"),
        (
            "unlock_connector",
            {"response_url": "https://x.example/r", "location_id": "L", "evse_uid": "E"},
            "connector_id",
        ),
    ],
)
def test_commands_are_validated_by_their_type(command: str, body: dict[str, Any], path: str) -> None:
    with pytest.raises(InvalidParameters, match=f": {path}: required field missing"):
        validator().check_request(ctx(module="commands", method="POST", rest=command), body)


def test_reply_and_request_objects_per_module() -> None:
    v = validator()
    v.check_request(ctx(module="tokens", interface=S, method="POST", rest="UID/authorize"), {"location_id": "L1"})
    with pytest.raises(HubError, match="invalid AuthorizationInfo: data.token: required"):
        v.check_reply(
            ctx(module="tokens", interface=S, method="POST", rest="UID/authorize"), envelope({"allowed": "ALLOWED"})
        )
    with pytest.raises(HubError, match="invalid CommandResponse: data.timeout"):
        v.check_reply(ctx(module="commands", method="POST", rest="START_SESSION"), envelope({"result": "ACCEPTED"}))
    v.check_reply(
        ctx(module="sessions", interface=S, method="PUT", rest="S1/charging_preferences"), envelope("ACCEPTED")
    )
    with pytest.raises(HubError, match="not a valid ChargingPreferencesResponse"):
        v.check_reply(ctx(module="sessions", interface=S, method="PUT", rest="S1/charging_preferences"), envelope("OK"))


def test_warn_mode_forwards_logs_each_violation_and_counts_per_platform_and_rule() -> None:
    v = validator("warn")
    # Fields missing: completeness follows the mode (a wrong value of a stored Token is refused in
    # every mode: hub.validation.stored, tests/security/test_bad_values.py).
    full = token(uid="PERSONAL-UID-123", contract_id="PERSONAL-CONTRACT")
    bad = {k: v for k, v in full.items() if k not in ("type", "whitelist")}
    with structlog.testing.capture_logs() as logs:
        v.check_request(ctx(module="tokens", rest="DE/EMS/PERSONAL-UID-123"), bad)
        v.check_request(ctx(module="tokens", rest="DE/EMS/PERSONAL-UID-123"), bad)
    events = [e for e in logs if e["event"] == "payload_invalid"]
    assert len(events) == 4
    assert {(e["path"], e["rule"], e["platform"], e["object"]) for e in events} == {
        ("type", "required", "cpo-a", "Token"),
        ("whitelist", "required", "cpo-a", "Token"),
    }
    assert "PERSONAL" not in repr(logs)
    assert v.counts() == {("cpo-a", "Token.type:required"): 2, ("cpo-a", "Token.whitelist:required"): 2}


def test_warn_counts_replies_against_the_receiver_with_generic_paths() -> None:
    v = validator("warn")
    reply = envelope([location(evses=[evse(status="X")]), location(evses=[evse(), evse(status="Y")])])
    v.check_reply(ctx(interface=S, method="GET", rest=""), reply)
    assert v.counts() == {("emsp-b", "Location.data[].evses[].status:enum"): 2}


def test_logging_is_bounded_per_payload() -> None:
    reply = envelope([location(evses=[evse(status="X")]) for _ in range(50)])
    with structlog.testing.capture_logs() as logs:
        validator("warn").check_reply(ctx(interface=S, method="GET", rest=""), reply)
    assert len(logs) == 10
    assert all(e["violations"] == 50 for e in logs)


def test_off_does_nothing() -> None:
    v = validator("off")
    v.check_request(ctx(), {"garbage": True})
    v.check_reply(ctx(interface=S, method="GET", rest=""), envelope("garbage"))
    assert v.counts() == {}


def test_policy_overrides_most_specific_wins() -> None:
    policy = ValidationPolicy("warn", {"cpo-a:locations": "strict", "cpo-a:*": "off", "*:tokens": "strict"})
    assert policy.mode("cpo-a", "locations") == "strict"
    assert policy.mode("cpo-a", "tokens") == "off"
    assert policy.mode("other", "tokens") == "strict"
    assert policy.mode("other", "locations") == "warn"


def test_policy_applies_to_the_author_of_the_payload() -> None:
    v = validator("off", **{"cpo-a:*": "strict"})
    with pytest.raises(InvalidParameters):
        v.check_request(ctx(), {"id": "LOC1"})  # sent by cpo-a
    v.check_reply(ctx(method="GET"), envelope({"id": "LOC1"}))  # written by emsp-b: off


@pytest.mark.parametrize("key", ["nocolon", ":locations", "cpo:"])
def test_policy_refuses_malformed_override_keys(key: str) -> None:
    with pytest.raises(ValueError, match="validation override"):
        ValidationPolicy("warn", {key: "strict"})


def test_settings_keys_build_the_policy() -> None:
    settings = Settings(
        secret_key=TEST_SECRET, validation_mode="off", validation_overrides={"cpo-a:locations": "strict"}
    )
    v = PayloadValidator(settings)
    assert v.policy.mode("cpo-a", "locations") == "strict"
    assert v.policy.mode("cpo-a", "tokens") == "off"
    assert Settings(secret_key=TEST_SECRET).validation_mode == "warn"
    assert PayloadValidator().policy.default == "warn"


def test_settings_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUB_VALIDATION_MODE", "strict")
    monkeypatch.setenv("HUB_VALIDATION_OVERRIDES", '{"cpo-a:*": "off"}')
    settings = Settings(secret_key=TEST_SECRET)
    assert settings.validation_mode == "strict"
    assert settings.validation_overrides == {"cpo-a:*": "off"}


def test_validation_does_not_touch_the_payload() -> None:
    body = location(x_extension={"keep": ["me"]})
    before = repr(body)
    validator().check_request(ctx(), body)
    assert repr(body) == before


@pytest.mark.parametrize("version", ["2.1.1", "2.3.0"])
def test_other_editions_use_their_own_models(version: str) -> None:
    v = validator()
    if version == "2.3.0":
        v.check_request(
            ctx(version=version, rest="NL/CPA/LOC1/EVSE1/1"), {**evse()["connectors"][0], "standard": "X_NEW"}
        )
        with pytest.raises(InvalidParameters, match="tax_included: required"):
            tariff = {
                "country_code": "NL",
                "party_id": "CPA",
                "id": "T1",
                "currency": "EUR",
                "elements": [{"price_components": [{"type": "FLAT", "price": 1, "step_size": 1}]}],
                "last_updated": "2026-01-01T00:00:00Z",
            }
            v.check_request(ctx(module="tariffs", version=version, rest="NL/CPA/T1"), tariff)
    else:
        with pytest.raises(InvalidParameters, match="Invalid Location: type: required"):
            v.check_request(ctx(version=version), location())
