"""Typed models of the OCPI objects, one package per edition that differs.

    types.py      basic types (CiString, string, DateTime, URL, number, DisplayText, Price, Role)
    base.py       OcpiModel (unknown fields kept) and patch_of() for PATCH bodies
    v221/         OCPI 2.2.1 (and 2.2.1-d2, the same requirements): one module per spec module
    v211/         OCPI 2.1.1, where it differs (everything but the basic types)
    v230/         OCPI 2.3.0, where it differs from 2.2.1 (Price, Tariff, Parking, OpenEnums, ...)

Each class's docstring names the spec file and section it follows. The models validate; nothing
the hub forwards is rebuilt from them (`hub.validation`).
"""
