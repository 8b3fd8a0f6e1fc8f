"""OCPI roaming hub."""

__version__ = "0.1.0"
