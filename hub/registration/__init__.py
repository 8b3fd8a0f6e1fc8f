"""The credentials handshake, in both directions, and operator actions on the registry
(status changes are announced through hub.liveness)."""
