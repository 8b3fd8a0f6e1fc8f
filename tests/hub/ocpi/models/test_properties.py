"""Property-based: objects built from the models validate; one mutation (a missing mandatory
field, a wrong enumeration value, an over-long string, a bad timestamp) makes them fail with that
field's path and rule, as `hub.validation.explain` reports it."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, TypeAdapter, ValidationError

from hub.ocpi.models.v211 import cdrs as cdrs211
from hub.ocpi.models.v211 import locations as locations211
from hub.ocpi.models.v211 import tokens as tokens211
from hub.ocpi.models.v221 import (
    cdrs,
    chargingprofiles,
    commands,
    credentials,
    hubclientinfo,
    locations,
    sessions,
    tariffs,
    tokens,
    versions,
)
from hub.ocpi.models.v230 import cdrs as cdrs230
from hub.ocpi.models.v230 import locations as locations230
from hub.ocpi.models.v230 import tariffs as tariffs230
from hub.validation.explain import explain, format_path
from tests.hub.ocpi.models.strategies import kinds, objects, sites

PROPERTY = settings(max_examples=50, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

MODELS: list[type[BaseModel]] = [
    locations.Location,
    locations.EVSE,
    locations.Connector,
    sessions.Session,
    sessions.ChargingPreferences,
    cdrs.CDR,
    tariffs.Tariff,
    tokens.Token,
    tokens.AuthorizationInfo,
    tokens.LocationReferences,
    *commands.COMMAND_OBJECTS.values(),
    commands.CommandResponse,
    commands.CommandResult,
    chargingprofiles.SetChargingProfile,
    chargingprofiles.ActiveChargingProfileResult,
    chargingprofiles.ChargingProfileResponse,
    hubclientinfo.ClientInfo,
    credentials.Credentials,
    versions.VersionDetails,
    locations230.Location,
    tariffs230.Tariff,
    cdrs230.CDR,
    locations211.Location,
    cdrs211.CDR,
    tokens211.Token,
]
_IDS = [f"{m.__module__.split('.')[-2]}-{m.__name__}" for m in MODELS]
# The mutations that break a valid value at a site of that kind, and the rule they must break.
_MUTATIONS = {
    "enum": (lambda found: "NOT_AN_OCPI_VALUE", "enum"),
    "string": (lambda found: "x" * (found["max_length"] + 1), "max_length"),
    "datetime": (lambda found: "2019-06-24T12:39:09+01:00", "datetime"),
}


def _adapter(model: type[BaseModel]) -> TypeAdapter[Any]:
    return TypeAdapter(model)


@pytest.mark.parametrize("model", MODELS, ids=_IDS)
@PROPERTY
@given(data=st.data())
def test_valid_objects_pass_and_one_mutation_fails_with_its_path(model: type[BaseModel], data: st.DataObject) -> None:
    value = data.draw(objects(model), label="valid")
    _adapter(model).validate_python(value)

    loc, kind, found = data.draw(st.sampled_from(sites(model, value)), label="site")
    broken = copy.deepcopy(value)
    parent = broken
    for part in loc[:-1]:
        parent = parent[part]
    if kind == "required":
        del parent[loc[-1]]
        rule = "required"
    else:
        make, rule = _MUTATIONS[kind]
        parent[loc[-1]] = make(found)
    with pytest.raises(ValidationError) as caught:
        _adapter(model).validate_python(broken)
    violations = explain(caught.value, model)
    assert [(v.path, v.rule) for v in violations] == [(format_path(loc), rule)]


def test_every_kind_of_mutation_is_reachable() -> None:
    """The mutation test draws its site among these kinds; make sure the models offer each."""
    assert set().union(*(kinds(model) for model in MODELS)) == {"required", "enum", "string", "datetime"}
    assert kinds(locations.Location) == {"required", "enum", "string", "datetime"}
