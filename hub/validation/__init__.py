"""Payload validation of routed requests and replies against the typed OCPI models.

validator.py  PayloadValidator: the seam the forward path calls (check_request, check_reply)
mapping.py    which object a body or a reply's data must be, per module, interface, method, path
objects.py    which model stands for each object name, per edition (2.1.1, 2.2.1, 2.3.0)
catalogue.py  the TypeAdapters, built once per process
policy.py     strict / warn / off per platform and module (settings validation_mode/_overrides)
explain.py    a pydantic error as field path, rule and a brief message (never a value)
"""

from hub.validation.validator import Direction, PayloadValidator, ValidationContext

__all__ = ["Direction", "PayloadValidator", "ValidationContext"]
