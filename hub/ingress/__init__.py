"""Requests in: middleware, authentication, the configuration modules and the forward endpoint."""
