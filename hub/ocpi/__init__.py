"""OCPI protocol vocabulary: pure functions, no I/O."""
