"""The credentials handshake, in both directions, and the outbound calls it needs."""
