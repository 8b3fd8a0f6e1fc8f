"""What leaves the hub: the outbound policy (SSRF), its aiohttp wiring and the loop guard.

policy.py   OutboundPolicy: the pure check of a URL or address; EgressRefused
client.py   the policy at connect time: client middleware, resolver, socket factory
hop.py      the hop marker every outbound request carries; inbound loops are refused
origins.py  what a party may hand the hub: response_url, Link, Location, endpoints
tls.py      outbound TLS: CA bundle and client certificate of the same connector
"""

from hub.egress.hop import HOP_HEADER, HopMarker
from hub.egress.policy import EgressRefused, Origin, OutboundPolicy, origin_of

__all__ = ["HOP_HEADER", "EgressRefused", "HopMarker", "Origin", "OutboundPolicy", "origin_of"]
