"""Durable fan-out: Broadcast Push through an outbox and one dispatcher, which also delivers the
HubClientInfo rows hub.liveness writes."""
