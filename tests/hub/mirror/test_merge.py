"""hub.mirror.merge: how a push changes a stored object (PUT replaces, PATCH merges, at the level
the URL names; older updates are not applied; children bump their parents' last_updated). Pure."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from hub.mirror.merge import Outcome, StoreUpdate, apply_update, last_updated_of

T0, T1, T2, T3 = (f"2026-01-01T0{h}:00:00Z" for h in range(4))


def connector(cid: str = "1", at: str = T0, **extra: Any) -> dict[str, Any]:
    return {
        "id": cid,
        "standard": "IEC_62196_T2",
        "format": "SOCKET",
        "power_type": "AC_3_PHASE",
        "last_updated": at,
    } | extra


def evse(
    uid: str = "EVSE1", at: str = T0, connectors: list[dict[str, Any]] | None = None, **extra: Any
) -> dict[str, Any]:
    return {
        "uid": uid,
        "status": "AVAILABLE",
        "connectors": connectors or [connector(at=at)],
        "last_updated": at,
    } | extra


def location(at: str = T1, evses: list[dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
    body = {"country_code": "NL", "party_id": "CPA", "id": "LOC1", "name": "Station", "last_updated": at}
    return body | {"evses": evses if evses is not None else [evse()]} | extra


def update(method: str, *ids: str, body: Any, module: str = "locations") -> StoreUpdate:
    return StoreUpdate(module=module, method=method, country_code="NL", party_id="CPA", ids=ids or ("LOC1",), body=body)


def applied(stored: dict[str, Any] | None, change: StoreUpdate) -> tuple[Outcome, dict[str, Any] | None]:
    before = copy.deepcopy(stored)
    result = apply_update(stored, change)
    assert stored == before, "apply_update must not change its input"
    return result


# --- location level -----------------------------------------------------------------------------


def test_put_of_a_new_object_stores_the_body() -> None:
    body = location()
    assert applied(None, update("PUT", body=body)) == (Outcome.APPLIED, body)


def test_put_replaces_the_whole_object() -> None:
    stored = location(T1, name="Old", directions=[{"language": "en", "text": "left"}])
    new = location(T2, evses=[])
    outcome, data = applied(stored, update("PUT", body=new))
    assert outcome is Outcome.APPLIED
    assert data == new and "directions" not in data


def test_put_with_the_same_last_updated_is_applied() -> None:
    assert applied(location(T1), update("PUT", body=location(T1, name="Same time")))[0] is Outcome.APPLIED


def test_put_older_than_stored_is_not_applied() -> None:
    stored = location(T2)
    assert applied(stored, update("PUT", body=location(T1, name="Older"))) == (Outcome.STALE, stored)


def test_patch_merges_top_level_fields() -> None:
    outcome, data = applied(location(T1), update("PATCH", body={"name": "New name", "last_updated": T2}))
    assert outcome is Outcome.APPLIED
    assert data == location(T2, name="New name")


def test_patch_older_than_stored_is_not_applied() -> None:
    stored = location(T2)
    outcome, data = applied(stored, update("PATCH", body={"name": "Older", "last_updated": T1}))
    assert outcome is Outcome.STALE
    assert data is not None and data["name"] == "Station" and data["last_updated"] == T2


def test_patch_without_a_stored_object_has_no_base() -> None:
    assert applied(None, update("PATCH", body={"name": "x", "last_updated": T1})) == (Outcome.NO_BASE, None)


def test_delete() -> None:
    assert applied(location(), update("DELETE", body=None)) == (Outcome.DELETED, None)


def test_a_body_that_is_not_an_object_has_no_base() -> None:
    stored = location()
    assert applied(stored, update("PUT", body=["not", "an", "object"])) == (Outcome.NO_BASE, stored)


@pytest.mark.parametrize("module", ["tariffs", "tokens"])
def test_other_modules_put_and_patch_at_object_level(module: str) -> None:
    stored = {"id": "X1", "currency": "EUR", "last_updated": T1}
    assert applied(stored, update("PATCH", "X1", body={"currency": "USD", "last_updated": T2}, module=module)) == (
        Outcome.APPLIED,
        {"id": "X1", "currency": "USD", "last_updated": T2},
    )
    assert (
        applied(stored, update("PUT", "X1", body={"id": "X1", "last_updated": T0}, module=module))[0] is Outcome.STALE
    )


# --- EVSE level ---------------------------------------------------------------------------------


def test_put_of_a_new_evse_is_added_and_bumps_the_location() -> None:
    stored = location(T1)
    outcome, data = applied(stored, update("PUT", "LOC1", "EVSE2", body=evse("EVSE2", T2)))
    assert outcome is Outcome.APPLIED and data is not None
    assert [e["uid"] for e in data["evses"]] == ["EVSE1", "EVSE2"]
    assert data["last_updated"] == T2


def test_put_of_an_existing_evse_replaces_it_in_place() -> None:
    stored = location(T1, evses=[evse("EVSE1", T0), evse("EVSE2", T0)])
    outcome, data = applied(stored, update("PUT", "LOC1", "evse1", body=evse("EVSE1", T2, status="CHARGING")))
    assert outcome is Outcome.APPLIED and data is not None
    assert [(e["uid"], e["status"]) for e in data["evses"]] == [("EVSE1", "CHARGING"), ("EVSE2", "AVAILABLE")]
    assert data["last_updated"] == T2


def test_an_evse_update_older_than_the_location_leaves_its_last_updated() -> None:
    stored = location(T3, evses=[evse("EVSE1", T0)])
    outcome, data = applied(stored, update("PUT", "LOC1", "EVSE1", body=evse("EVSE1", T1, status="CHARGING")))
    assert outcome is Outcome.APPLIED and data is not None
    assert data["evses"][0]["status"] == "CHARGING"
    assert data["last_updated"] == T3


def test_put_of_an_evse_older_than_the_stored_evse_is_not_applied() -> None:
    stored = location(T2, evses=[evse("EVSE1", T2)])
    outcome, data = applied(stored, update("PUT", "LOC1", "EVSE1", body=evse("EVSE1", T1, status="CHARGING")))
    assert outcome is Outcome.STALE
    assert data == stored


def test_patch_of_an_evse_merges_and_bumps_the_location() -> None:
    stored = location(T1, evses=[evse("EVSE1", T0)])
    outcome, data = applied(stored, update("PATCH", "LOC1", "EVSE1", body={"status": "CHARGING", "last_updated": T2}))
    assert outcome is Outcome.APPLIED and data is not None
    assert data["evses"][0] == evse("EVSE1", T0) | {"status": "CHARGING", "last_updated": T2}
    assert data["last_updated"] == T2


def test_stale_patch_of_an_evse_is_not_applied() -> None:
    stored = location(T2, evses=[evse("EVSE1", T2)])
    outcome, data = applied(stored, update("PATCH", "LOC1", "EVSE1", body={"status": "CHARGING", "last_updated": T1}))
    assert outcome is Outcome.STALE
    assert data is not None and data["evses"][0]["status"] == "AVAILABLE"


def test_patch_of_an_unknown_evse_has_no_base() -> None:
    stored = location()
    assert applied(stored, update("PATCH", "LOC1", "NOPE", body={"status": "CHARGING", "last_updated": T2})) == (
        Outcome.NO_BASE,
        stored,
    )


def test_child_updates_without_a_stored_location_have_no_base() -> None:
    assert applied(None, update("PUT", "LOC1", "EVSE1", body=evse()))[0] is Outcome.NO_BASE
    assert applied(None, update("PUT", "LOC1", "EVSE1", "1", body=connector()))[0] is Outcome.NO_BASE


def test_child_paths_exist_only_for_locations() -> None:
    stored = {"id": "T1", "last_updated": T1}
    assert applied(stored, update("PUT", "T1", "X", body={"id": "X"}, module="tariffs")) == (Outcome.NO_BASE, stored)


# --- connector level ----------------------------------------------------------------------------


def test_put_of_a_connector_replaces_it_and_bumps_evse_and_location() -> None:
    stored = location(T1, evses=[evse("EVSE1", T0, connectors=[connector("1", T0), connector("2", T0)])])
    new = connector("2", T2, max_voltage=400)
    outcome, data = applied(stored, update("PUT", "LOC1", "EVSE1", "2", body=new))
    assert outcome is Outcome.APPLIED and data is not None
    assert data["evses"][0]["connectors"] == [connector("1", T0), new]
    assert data["evses"][0]["last_updated"] == T2
    assert data["last_updated"] == T2


def test_put_of_a_new_connector_is_added() -> None:
    outcome, data = applied(location(T1), update("PUT", "LOC1", "EVSE1", "9", body=connector("9", T2)))
    assert outcome is Outcome.APPLIED and data is not None
    assert [c["id"] for c in data["evses"][0]["connectors"]] == ["1", "9"]


def test_patch_of_a_connector_merges_and_bumps_evse_and_location() -> None:
    stored = location(T1, evses=[evse("EVSE1", T0)])
    outcome, data = applied(
        stored, update("PATCH", "LOC1", "EVSE1", "1", body={"max_amperage": 32, "last_updated": T3})
    )
    assert outcome is Outcome.APPLIED and data is not None
    assert data["evses"][0]["connectors"][0] == connector("1", T3, max_amperage=32)
    assert data["evses"][0]["last_updated"] == T3
    assert data["last_updated"] == T3


def test_stale_connector_updates_are_not_applied() -> None:
    stored = location(T2, evses=[evse("EVSE1", T2, connectors=[connector("1", T2)])])
    assert applied(stored, update("PUT", "LOC1", "EVSE1", "1", body=connector("1", T1)))[0] is Outcome.STALE
    outcome, data = applied(stored, update("PATCH", "LOC1", "EVSE1", "1", body={"max_amperage": 1, "last_updated": T1}))
    assert outcome is Outcome.STALE
    assert data is not None and "max_amperage" not in data["evses"][0]["connectors"][0]


def test_connector_updates_under_an_unknown_evse_or_connector_have_no_base() -> None:
    stored = location()
    assert applied(stored, update("PUT", "LOC1", "NOPE", "1", body=connector()))[0] is Outcome.NO_BASE
    patch = {"max_amperage": 1, "last_updated": T2}
    assert applied(stored, update("PATCH", "LOC1", "EVSE1", "7", body=patch))[0] is Outcome.NO_BASE


# --- last_updated -------------------------------------------------------------------------------


def test_last_updated_is_read_in_any_offset_and_fraction() -> None:
    a = last_updated_of({"last_updated": "2026-01-01T01:00:00+01:00"})
    b = last_updated_of({"last_updated": "2026-01-01T00:00:00Z"})
    c = last_updated_of({"last_updated": "2026-01-01T00:00:00.500"})
    assert a is not None and b is not None and c is not None
    assert a == b and c > b
    assert last_updated_of({"last_updated": "yesterday"}) is None
    assert last_updated_of({}) is None


def test_an_older_update_is_judged_by_instant_not_by_text() -> None:
    stored = location("2026-01-01T00:30:00Z")
    older = location("2026-01-01T01:00:00+01:00")  # 00:00 UTC, textually "later"
    assert applied(stored, update("PUT", body=older))[0] is Outcome.STALE
