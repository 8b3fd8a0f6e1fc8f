"""Transports toward receivers: the direct OCPI adapter, and later upstream hubs (Gireve, Hubject)."""
