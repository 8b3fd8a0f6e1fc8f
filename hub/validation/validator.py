"""The seam between the forward path and payload validation.

The forward path calls `check_request` before forwarding a push and `check_reply` before
returning a receiver's reply. Both receive JSON that is already parsed and validate it as it is
(never re-serialised: the bytes that leave the hub are the bytes that came in). What a payload
must be comes from `hub.validation.mapping`; how strictly, from `hub.validation.policy`, for the
platform that wrote the payload (the sender of a request, the receiver of a reply):

- strict: an invalid request raises `InvalidParameters` (2001) naming the field path and the rule;
  an invalid reply raises `HubError` (4000) "Receiver sent an invalid Location: data[3]...", since
  the requester did nothing wrong;
- warn: one structured `payload_invalid` event per violation (field path and rule, never a
  value), a count per (platform, rule), and the payload goes on;
- off: no work at all.

What the hub keeps is checked whatever the mode (`hub.validation.stored`): on a push of an object
the hub stores, every field present must have its type, length, format and enumeration, and its
DateTimes must be real UTC instants (`last_updated` in [2000, 2100)), else 2001 in every mode; the
single values kept from other pushes (a CDR's id, a `response_url`) likewise. Only completeness
(a required field missing) follows the mode there.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, NoReturn

import structlog
from pydantic import ValidationError

from hub.errors import HubError, InvalidParameters
from hub.types import InterfaceRole
from hub.validation.catalogue import Target, catalogue
from hub.validation.explain import Violation, explain
from hub.validation.policy import Mode, ValidationPolicy
from hub.validation.stored import KEPT_NAMES, keeps_object, kept_value_violations, time_violations

if TYPE_CHECKING:
    from hub.settings import Settings

__all__ = ["Direction", "PayloadValidator", "ValidationContext"]

_log = structlog.get_logger("hub.validation")
_LOGGED_PER_PAYLOAD = 10  # a list reply may break one rule a thousand times: log the first few
_SUCCESS = range(1000, 2000)


class Direction(StrEnum):
    REQUEST = "request"
    REPLY = "reply"


@dataclass(frozen=True, slots=True)
class ValidationContext:
    """Where a payload is: who sent it, to which module endpoint, with which method and path."""

    sender_platform: str
    receiver_platform: str
    version: str
    module: str
    interface: InterfaceRole
    method: str
    rest: str


class PayloadValidator:
    """Validates routed payloads against the OCPI models of their edition (see module docstring)."""

    def __init__(self, settings: Settings | None = None, *, policy: ValidationPolicy | None = None) -> None:
        if policy is None:
            policy = (
                ValidationPolicy(settings.validation_mode, settings.validation_overrides)
                if settings is not None
                else ValidationPolicy()
            )
        self.policy = policy
        self._off = policy.all_off
        self._catalogue = catalogue()  # what the hub keeps is checked in every mode
        self._counts: Counter[tuple[str, str]] = Counter()

    def check_request(self, context: ValidationContext, body: Any) -> None:
        kept = keeps_object(context.module, context.interface, context.method)
        single = kept_value_violations(context.version, context.module, context.interface, context.method, body)
        if single:
            self._refuse(context, KEPT_NAMES.get(context.module, context.module), single)
        mode: Mode = "off" if self._off else self.policy.mode(context.sender_platform, context.module)
        if mode == "off" and not kept:
            return
        target = self._catalogue.request(
            context.version, context.module, context.interface, context.method, context.rest
        )
        if target is None:
            if kept and (times := time_violations(None, body)):
                self._refuse(context, context.module.rstrip("s").capitalize(), times)
            return
        try:
            target.adapter.validate_python(body)
            violations: list[Violation] = []
        except ValidationError as error:
            violations = explain(error, target.root)
        if kept:
            unsafe = [v for v in violations if v.rule != "required"] or time_violations(target.root, body)
            if unsafe:
                self._refuse(context, target.name, unsafe, target)
            violations = [v for v in violations if v.rule == "required"]  # completeness: per mode
        if violations and mode != "off":
            self._report(context, Direction.REQUEST, context.sender_platform, mode, target, violations)
            if mode == "strict":
                raise InvalidParameters(f"Invalid {target.name}: {_summary(violations)}") from None

    def _refuse(
        self, context: ValidationContext, name: str, violations: list[Violation], target: Target | None = None
    ) -> NoReturn:
        """2001 for what the hub would keep (any mode): counted and logged like a strict refusal."""
        if target is not None:
            self._report(context, Direction.REQUEST, context.sender_platform, "strict", target, violations)
        else:
            for violation in violations:
                self._counts[(context.sender_platform, f"{name}.{violation.generic}:{violation.rule}")] += 1
        raise InvalidParameters(f"Invalid {name}: {_summary(violations)}")

    def check_reply(self, context: ValidationContext, envelope: dict[str, Any]) -> None:
        if self._off or envelope.get("status_code") not in _SUCCESS:
            return
        mode = self.policy.mode(context.receiver_platform, context.module)
        if mode == "off":
            return
        target = self._catalogue.reply(context.version, context.module, context.interface, context.method, context.rest)
        if target is None:
            return
        try:
            target.adapter.validate_python(envelope)
        except ValidationError as error:
            violations = explain(error, target.root)
            self._report(context, Direction.REPLY, context.receiver_platform, mode, target, violations)
            if mode == "strict":
                raise HubError(f"Receiver sent an invalid {target.name}: {_summary(violations)}") from None

    def counts(self) -> dict[tuple[str, str], int]:
        """Violations seen so far per (platform, rule); rule = `<object>.<path>:<kind>`."""
        return dict(self._counts)

    def _report(
        self,
        context: ValidationContext,
        direction: Direction,
        author: str,
        mode: Mode,
        target: Target,
        violations: list[Violation],
    ) -> None:
        for violation in violations:
            self._counts[(author, _rule_id(target, violation))] += 1
        if mode == "strict":
            first = violations[0]
            _log.info(
                "payload_rejected",
                direction=direction.value,
                platform=author,
                module=context.module,
                method=context.method,
                object=target.name,
                path=first.path,
                rule=first.rule,
                violations=len(violations),
            )
            return
        for violation in violations[:_LOGGED_PER_PAYLOAD]:
            _log.warning(
                "payload_invalid",
                direction=direction.value,
                platform=author,
                module=context.module,
                method=context.method,
                object=target.name,
                path=violation.path,
                rule=violation.rule,
                violations=len(violations),
            )


def _rule_id(target: Target, violation: Violation) -> str:
    where = f".{violation.generic}" if violation.generic else ""
    return f"{target.name}{where}:{violation.rule}"


def _summary(violations: list[Violation]) -> str:
    more = len(violations) - 1
    return violations[0].text + (f" (and {more} more)" if more else "")
