"""`ocpi-hub serve`: migrate (or check), apply the platforms file, print where the hub answers, run uvicorn."""

from __future__ import annotations

import argparse
import asyncio
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hub.settings import Settings

__all__ = ["serve"]


def serve(settings: Settings, args: argparse.Namespace) -> int:
    from hub.cli.database import check_database
    from hub.db.migrate import upgrade

    if settings.migrate_on_start and not args.no_migrate:
        asyncio.run(upgrade(settings))
    else:  # no migration asked: refuse to start on a database the hub cannot use
        asyncio.run(check_database(settings))
    if settings.platforms_file:
        from hub.cli.commands import _admin

        admin, close = _admin(settings)

        async def apply() -> list[str]:
            try:
                return await admin.apply_file(settings.platforms_file or "")
            finally:
                await close()

        asyncio.run(apply())
    scheme = "https" if settings.tls_cert_file else "http"
    print(f"OCPI hub listening on {scheme}://{settings.host}:{settings.port}", flush=True)
    print(f"Public URL: {settings.public_url}  versions URL: {settings.versions_url}", flush=True)
    if "public_url" not in settings.model_fields_set and settings.host in ("0.0.0.0", "::"):
        print("(public_url is not set: parties outside this machine need it; set HUB_PUBLIC_URL)", flush=True)
    print("Add a party:  ocpi-hub platforms add --name my-cpo --role CPO:NL:ABC", flush=True)
    return _run_server(settings)


def _run_server(settings: Settings) -> int:
    """Serve `create_app(settings)` with uvicorn; the settings travel with the app, not in os.environ.

    The app is the factory `partial(create_app, settings)`. With one worker uvicorn calls it here;
    with more, uvicorn's supervisor pickles the Config (factory and settings included) into each
    spawned worker, which calls it there. So `--config` and the command-line overrides reach every
    worker without the CLI touching its own environment, and a worker's environment is exactly the
    one the CLI was started with. `uvicorn.run()` refuses anything but an import string when
    workers > 1, so this does what it does (Config, Server, Multiprocess) without that check.
    """
    import uvicorn
    from uvicorn.config import STARTUP_FAILURE
    from uvicorn.supervisors import Multiprocess

    from hub.server import server_config

    config = server_config(settings)  # timeouts, connection cap, TLS (hub.server)
    server = uvicorn.Server(config)
    try:
        if config.workers > 1:
            Multiprocess(config, sockets=[config.bind_socket()]).run()
            return 0
        server.run()
    except KeyboardInterrupt:
        pass
    return 0 if server.started else STARTUP_FAILURE
