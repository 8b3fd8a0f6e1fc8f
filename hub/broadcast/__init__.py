"""Durable fan-out: Broadcast Push and HubClientInfo through an outbox and one dispatcher."""
