"""The credentials handshake of the benchmark's platforms, and nothing else (benchmarks only).

A thread in the benchmark process serves, for each platform `name`:
  GET  /<name>/versions         -> 2.2.1 at /<name>/2.2.1
  GET  /<name>/2.2.1            -> credentials here, and the module endpoints given at construction
                                   (for the receiver: URLs on the static nginx, which serves the
                                   routed requests; this server never sees one)
  POST /<name>/2.2.1/credentials -> records the token the hub sent (the platform's token to call
                                   the hub) and answers the platform's credentials with a new token
So the hub registers at each platform through its own front door (`ocpi-hub platforms register`)
and the benchmark learns the token the sender presents to the hub.
"""

from __future__ import annotations

import json
import secrets
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["FakePlatforms", "PlatformSpec"]

VERSION = "2.2.1"


@dataclass
class PlatformSpec:
    role: str  # CPO, EMSP
    country_code: str
    party_id: str
    endpoints: dict[tuple[str, str], str] = field(default_factory=dict)  # (module, SENDER|RECEIVER) -> URL
    token_to_hub: str | None = None  # what the hub gave this platform (filled in by the handshake)


class FakePlatforms:
    def __init__(self, platforms: dict[str, PlatformSpec]) -> None:
        self.platforms = platforms
        fakes = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                self._answer(fakes._get(self.path))

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                self._answer(fakes._post(self.path, json.loads(body or b"null")))

            def _answer(self, data: Any) -> None:
                status, code = (200, 1000) if data is not None else (404, 2000)
                raw = json.dumps({"data": data, "status_code": code, "timestamp": "2026-01-01T00:00:00Z"}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-platforms", daemon=True)

    def versions_url(self, name: str) -> str:
        return f"{self.url}/{name}/versions"

    def _get(self, path: str) -> Any:
        name, _, rest = path.strip("/").partition("/")
        spec = self.platforms.get(name)
        if spec is None:
            return None
        if rest == "versions":
            return [{"version": VERSION, "url": f"{self.url}/{name}/{VERSION}"}]
        if rest == VERSION:
            credentials = f"{self.url}/{name}/{VERSION}/credentials"
            endpoints = [{"identifier": "credentials", "role": "SENDER", "url": credentials}]
            endpoints += [{"identifier": m, "role": r, "url": u} for (m, r), u in spec.endpoints.items()]
            return {"version": VERSION, "endpoints": endpoints}
        return None

    def _post(self, path: str, body: Any) -> Any:
        name, _, rest = path.strip("/").partition("/")
        spec = self.platforms.get(name)
        if spec is None or rest != f"{VERSION}/credentials" or not isinstance(body, dict):
            return None
        spec.token_to_hub = str(body["token"])
        role = {
            "role": spec.role,
            "business_details": {"name": f"bench {name}"},
            "party_id": spec.party_id,
            "country_code": spec.country_code,
        }
        return {"token": secrets.token_urlsafe(24), "url": self.versions_url(name), "roles": [role]}

    def __enter__(self) -> FakePlatforms:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()
