"""OCPI 2.2.1 objects (spec tag 2.2.1; the 2.2.1-d2 documentation release has the same rules)."""
