"""Requests out: adapters (transports), the forwarder, rewrites of unreachable URLs."""
