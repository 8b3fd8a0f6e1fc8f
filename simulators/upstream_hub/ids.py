"""Gireve-style id rewriting (upstream-ocpi-hub.md §1.6) and the mapping table behind it.

Mode `gireve_2_2_1`: a Session's id is replaced by the hub's own id on its way to the eMSP (and
back to the CPO's id when a STOP_SESSION names it); an eMSP's authorization_reference is
replaced by the hub's own on its way to the CPO (and, with `auth_ref_to_emsp="original"`, back
to the eMSP's in the CPO's Sessions and CDRs); Locations and Tariffs get a `gireve_id`.
Mode `none` passes every id through. The tables stay queryable so tests can line flows up.
"""

from __future__ import annotations

import copy
import itertools
import zlib
from typing import Any

from hub.types import PartyKey
from simulators.upstream_hub.config import IdRewrite

__all__ = ["IdRewriter"]

Obj = dict[str, Any]


class IdRewriter:
    """See the module docstring."""

    def __init__(self, mode: IdRewrite, *, restore_auth_ref: bool = False) -> None:
        self.mode = mode
        self.restore_auth_ref = restore_auth_ref
        self._numbers = itertools.count(1)
        self.sessions: dict[str, tuple[PartyKey, str]] = {}  # hub session id -> (CPO, CPO's id)
        self._session_ids: dict[tuple[PartyKey, str], str] = {}
        self.auth_refs: dict[str, tuple[PartyKey | None, str]] = {}  # hub reference -> (issuer, its reference)
        self._auth_ids: dict[tuple[PartyKey | None, str], str] = {}

    @property
    def active(self) -> bool:
        return self.mode != "none"

    # --- sessions -------------------------------------------------------------------------------

    def session_out(self, cpo: PartyKey, session_id: str) -> str:
        """The session id the eMSP sees for the CPO's `session_id`."""
        if not self.active:
            return session_id
        key = (cpo, session_id)
        found = self._session_ids.get(key)
        if found is None:
            found = f"GIR-S{next(self._numbers):08d}"
            self._session_ids[key] = found
            self.sessions[found] = key
        return found

    def session_in(self, session_id: str) -> tuple[PartyKey | None, str]:
        """(the CPO, its own id) for an id an eMSP names; (None, id) when the hub did not issue it."""
        return self.sessions.get(session_id, (None, session_id))

    # --- authorization references ---------------------------------------------------------------

    def auth_ref_to_cpo(self, issuer: PartyKey | None, reference: str | None) -> str | None:
        """The reference the CPO sees for the one `issuer` (an eMSP) gave."""
        if not self.active or reference is None:
            return reference
        key = (issuer, reference)
        found = self._auth_ids.get(key)
        if found is None:
            found = f"GIR-A{next(self._numbers):08d}"
            self._auth_ids[key] = found
            self.auth_refs[found] = key
        return found

    def auth_ref_to_emsp(self, reference: str | None) -> str | None:
        """The reference the eMSP sees in a CPO's Session or CDR."""
        if not self.active or reference is None:
            return reference
        if reference in self.auth_refs:
            return self.auth_refs[reference][1] if self.restore_auth_ref else reference
        return self.auth_ref_to_cpo(None, reference)  # a reference the CPO made up: the hub's own

    # --- objects ----------------------------------------------------------------------------------

    def gireve_id(self, kind: str, owner: PartyKey, object_id: str) -> str:
        return f"GIR-{kind[0].upper()}{zlib.crc32(f'{owner}:{object_id}'.encode()):08X}"

    def with_gireve_id(self, kind: str, obj: Obj) -> Obj:
        """A copy of a Location or Tariff with `gireve_id` (unchanged object in mode `none`)."""
        if not self.active or "id" not in obj:
            return obj
        owner = PartyKey.of(str(obj.get("country_code", "")), str(obj.get("party_id", "")))
        return {**obj, "gireve_id": self.gireve_id(kind, owner, str(obj["id"]))}

    def session_to_emsp(self, cpo: PartyKey, session: Obj) -> Obj:
        if not self.active:
            return session
        out = copy.deepcopy(session)
        if "id" in out:
            out["id"] = self.session_out(cpo, str(out["id"]))
        if out.get("authorization_reference") is not None:
            out["authorization_reference"] = self.auth_ref_to_emsp(str(out["authorization_reference"]))
        return out

    def cdr_to_emsp(self, cpo: PartyKey, cdr: Obj) -> Obj:
        if not self.active:
            return cdr
        out = copy.deepcopy(cdr)
        if out.get("session_id") is not None:
            out["session_id"] = self.session_out(cpo, str(out["session_id"]))
        if out.get("authorization_reference") is not None:
            out["authorization_reference"] = self.auth_ref_to_emsp(str(out["authorization_reference"]))
        return out
