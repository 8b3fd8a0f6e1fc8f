"""The outside world for tests: fake OCPI platforms as real ASGI apps, and a way to serve them."""
