"""Operator actions that are not about registration: agreements and the outbox."""
