"""Mutual TLS material for the simulated hub, made with `trustme` (test certificates only).

The hub gets its own CA (standing in for Hubject's private CA, which a partner must trust) and a
server certificate for 127.0.0.1/localhost from it; partners' client certificates are accepted
when signed by one of the CAs the test gives (`client_cas`). The hub's identity of a caller is the
common name of its certificate. Files are written to `directory` for clients that need paths."""

from __future__ import annotations

import ssl
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import trustme

__all__ = ["ClientCert", "HubTls", "common_name", "issue_client_cert"]


@dataclass(frozen=True)
class ClientCert:
    """A partner's client certificate: `pem` holds key + chain (httpx `cert=` takes its path)."""

    common_name: str
    leaf: trustme.LeafCert
    pem: Path

    def ssl_context(self, trust: trustme.CA | Path | None = None) -> ssl.SSLContext:
        """A client context presenting this certificate and trusting `trust` (a CA or a PEM file)."""
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
        if isinstance(trust, trustme.CA):
            trust.configure_trust(context)
        elif trust is not None:
            context.load_verify_locations(cafile=str(trust))
        self.leaf.configure_cert(context)
        return context


def issue_client_cert(ca: trustme.CA, common_name: str, directory: Path | None = None) -> ClientCert:
    """A client certificate for `common_name` signed by `ca`, written as PEM (key + chain)."""
    leaf = ca.issue_cert(f"{common_name.lower().replace(' ', '-')}.partner.test", common_name=common_name)
    folder = directory or Path(tempfile.mkdtemp(prefix="oicp-client-"))
    pem = folder / f"client-{common_name.replace(' ', '_').replace('*', '_')}.pem"
    leaf.private_key_and_cert_chain_pem.write_to_path(str(pem))
    return ClientCert(common_name, leaf, pem)


def common_name(peercert: Any) -> str | None:
    """The subject common name of `SSLObject.getpeercert()` output (None without a certificate)."""
    if not isinstance(peercert, dict):
        return None
    for rdn in peercert.get("subject", ()):
        for key, value in rdn:
            if key == "commonName":
                return str(value)
    return None


@dataclass
class HubTls:
    """Server side of the hub's TLS. `require_at_handshake=False` (Hubject-like) lets a caller
    without a certificate finish the handshake and answers it HTTP 400 "SSL certificate error";
    a certificate from an unknown CA always fails the handshake."""

    client_cas: list[trustme.CA]
    directory: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="oicp-hub-tls-")))
    require_at_handshake: bool = False
    ca: trustme.CA = field(default_factory=trustme.CA)

    def __post_init__(self) -> None:
        self.server_cert = self.ca.issue_cert("127.0.0.1", "localhost", common_name="Simulated HBS")
        self.ca_pem = self.directory / "hub-ca.pem"  # what a partner trusts
        self.ca.cert_pem.write_to_path(str(self.ca_pem))
        self.server_pem = self.directory / "hub-server.pem"
        self.server_cert.private_key_and_cert_chain_pem.write_to_path(str(self.server_pem))
        # the hub's own client certificate, for HTTPS calls to partners that ask for one
        self.hub_client = issue_client_cert(self.ca, "Simulated HBS", self.directory)

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.server_cert.configure_cert(context)
        for ca in self.client_cas:
            ca.configure_trust(context)
        context.verify_mode = ssl.CERT_REQUIRED if self.require_at_handshake else ssl.CERT_OPTIONAL
        return context

    def client_cert(self, common_name: str, ca: trustme.CA | None = None) -> ClientCert:
        """Issue a partner certificate from `ca` (default: the first of `client_cas`)."""
        return issue_client_cert(ca or self.client_cas[0], common_name, self.directory)
