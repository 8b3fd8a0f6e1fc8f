"""Outbound TLS: how the hub verifies receivers' certificates and which certificate it presents.

One `ssl.SSLContext` for the shared aiohttp connector (`hub.app`):
- verification always on, host names checked, TLS 1.2 minimum;
- trusted CAs: `outbound_ca_file` when set (it replaces the system store: a private CA for the
  partners of one deployment), else the system store, else certifi's bundle when the system has
  none (slim container images);
- `outbound_client_cert_file` / `outbound_client_key_file`: the client certificate the hub
  presents to receivers that ask for one (mutual TLS toward upstreams).

A certificate the hub cannot verify fails the connection before anything is sent: no request,
no token leaves the hub (the caller gets 4003, receiver unreachable).
"""

from __future__ import annotations

import os
import ssl
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hub.settings import Settings

__all__ = ["outbound_ssl_context"]


def outbound_ssl_context(settings: Settings) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=settings.outbound_ca_file)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if settings.outbound_ca_file is None and not context.get_ca_certs() and not _has_default_paths():
        try:
            import certifi
        except ImportError:  # pragma: no cover - certifi comes with aiohttp's and httpx's dependencies
            pass
        else:
            context.load_verify_locations(cafile=certifi.where())
    if settings.outbound_client_cert_file and settings.outbound_client_key_file:
        context.load_cert_chain(settings.outbound_client_cert_file, settings.outbound_client_key_file)
    return context


def _has_default_paths() -> bool:
    """Whether the system's default CA file or directory exists (a directory loads lazily, so an
    empty `get_ca_certs()` does not mean there is no store)."""
    paths = ssl.get_default_verify_paths()
    return bool((paths.cafile and os.path.exists(paths.cafile)) or (paths.capath and os.path.isdir(paths.capath)))
