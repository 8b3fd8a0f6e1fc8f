"""The `ocpi-hub` command line: every command, option and help text, and nothing heavy.

This module imports only the standard library, so `ocpi-hub --help` (and a typo) answers at once;
the commands import the hub's machinery when they run (hub.cli.commands, hub.cli.serve).
"""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["build_parser"]

TOKEN_ENCODINGS = ("base64", "raw")  # hub.types.TokenEncoding, spelled out to keep --help fast
OUTBOX_STATUSES = ("pending", "delivered", "rejected", "skipped", "dead")
PLATFORM_HELP = "the platform's id or name (see `ocpi-hub platforms list`)"


def _rate_limit(text: str) -> tuple[float, int | None]:
    """`--rate-limit 200/400` -> (200.0, 400); `200` keeps the configured burst; `off` -> (0, None)."""
    if text.strip().lower() == "off":
        return 0.0, None
    rate, _, burst = text.partition("/")
    try:
        parsed = float(rate), int(burst) if burst else None
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: use RATE/BURST (e.g. 200/400) or off") from None
    if parsed[0] < 0 or (parsed[1] is not None and parsed[1] < 1):
        raise argparse.ArgumentTypeError(f"{text!r}: RATE must be >= 0 and BURST >= 1")
    return parsed


def _party_key(text: str) -> tuple[str, str]:
    cc, _, pid = text.strip().partition(":")
    if len(cc) != 2 or not cc.isalpha() or len(pid) != 3 or not pid.isalnum():
        raise argparse.ArgumentTypeError(f"{text!r}: use CC:PID, e.g. NL:EMS")
    return cc.upper(), pid.upper()


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: a number of seconds, e.g. 10 or 2.5") from None
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError(f"{text!r}: seconds must be > 0 and at most 3600")
    return value


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: a port number, 1-65535") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r}: a port number, 1-65535")
    return value


def _workers(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: a number of processes, 1-64") from None
    if not 1 <= value <= 64:
        raise argparse.ArgumentTypeError(f"{text!r}: a number of processes, 1-64")
    return value


def _common(*, top: bool) -> argparse.ArgumentParser:
    """--config and --traceback, accepted before and after the subcommand. Below the top level the
    default is SUPPRESS, so an option given before the subcommand is not reset by the subparser."""
    common = argparse.ArgumentParser(add_help=False)
    default: Any = None if top else argparse.SUPPRESS
    common.add_argument(
        "--config",
        metavar="FILE",
        default=default,
        help="TOML settings file (default: $HUB_CONFIG; HUB_* environment variables win over it)",
    )
    common.add_argument(
        "--traceback",
        action="store_true",
        default=False if top else argparse.SUPPRESS,
        help="on an unexpected error, print the full Python traceback (for a bug report)",
    )
    return common


class _Sub:
    """add_subparsers with the common options and a help text on every command."""

    def __init__(self, parser: argparse.ArgumentParser, dest: str, title: str) -> None:
        self._sub = parser.add_subparsers(dest=dest, required=True, title=title, metavar="COMMAND")
        self._common = _common(top=False)

    def add(self, name: str, help: str, description: str | None = None) -> argparse.ArgumentParser:  # noqa: A002
        return self._sub.add_parser(
            name, help=help, description=description or help[:1].upper() + help[1:], parents=[self._common]
        )


def _json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table (for scripts)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ocpi-hub",
        description="OCPI roaming hub: serve it, and manage its platforms, routes and data.",
        epilog="`ocpi-hub COMMAND --help` explains a command. Settings: docs/configuration.md.",
        parents=[_common(top=True)],
    )
    sub = _Sub(parser, "command", "commands")

    serve = sub.add(
        "serve",
        "run the hub",
        "Run the hub. Applies pending migrations first (unless --no-migrate). The public URL the hub "
        "advertises is public_url when set, else derived from --host and --port.",
    )
    serve.add_argument("--host", help="address to listen on (setting host, default 127.0.0.1)")
    serve.add_argument("--port", type=_port, help="port to listen on (setting port, default 8080)")
    serve.add_argument("--workers", type=_workers, help="worker processes (setting workers, default 1)")
    serve.add_argument(
        "--no-migrate",
        action="store_true",
        help="do not apply pending migrations at start (the database must be at the latest revision)",
    )
    serve.add_argument(
        "--rate-limit",
        type=_rate_limit,
        metavar="RATE/BURST",
        help="requests per second and bucket size per platform and module, e.g. 200/400; off = unlimited",
    )

    db = sub.add("db", "the database: create it or bring it to the latest revision")
    db.add_argument("action", choices=["upgrade"], help="upgrade: apply pending migrations (creates the database)")

    platforms = sub.add("platforms", "platforms (OCPI connections) and their parties")
    psub = _Sub(platforms, "action", "platform commands")
    add = psub.add("add", "declare a platform and issue its token A")
    add.add_argument("--name", required=True, help="a unique name, 1-100 characters")
    add.add_argument(
        "--role", action="append", required=True, help="a party it serves, ROLE:CC:PID, e.g. CPO:NL:ABC (repeatable)"
    )
    add.add_argument(
        "--token-encoding",
        choices=TOKEN_ENCODINGS,
        default="base64",
        help="how the platform sends its token: base64 (OCPI 2.2.1, default) or raw (older peers)",
    )
    add.add_argument("--timeout", type=_seconds, help="seconds to wait for this platform's replies")
    _json(add)
    _json(psub.add("list", "all platforms with status, version, last seen and parties"))
    show = psub.add("show", "one platform: status, version, last seen, endpoints and counters (outbox, stored objects)")
    show.add_argument("platform", help=PLATFORM_HELP)
    _json(show)
    update = psub.add("update", "change a platform's name, reply timeout or token encoding")
    update.add_argument("platform", help=PLATFORM_HELP)
    update.add_argument("--name", help="a new unique name")
    timeout = update.add_mutually_exclusive_group()
    timeout.add_argument("--timeout", type=_seconds, help="seconds to wait for this platform's replies")
    timeout.add_argument(
        "--default-timeout", action="store_true", help="use request_timeout_seconds for this platform again"
    )
    update.add_argument("--token-encoding", choices=TOKEN_ENCODINGS, help="base64 or raw")
    _json(update)
    suspend = psub.add(
        "suspend", "suspend a platform: its token is refused and the hub stops calling it until `resume`"
    )
    suspend.add_argument("platform", help=PLATFORM_HELP)
    resume = psub.add("resume", "resume a suspended platform (CONNECTED if registered, else PLANNED)")
    resume.add_argument("platform", help=PLATFORM_HELP)
    remove = psub.add("remove", "remove a platform, its parties and the data they stored at the hub")
    remove.add_argument("platform", help=PLATFORM_HELP)
    remove.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    token = psub.add("token-a", "issue a new token A for a platform (e.g. to register again)")
    token.add_argument("platform", help=PLATFORM_HELP)
    register = psub.add("register", "register the hub at a platform that gave us a token A")
    register.add_argument("platform", help=PLATFORM_HELP)
    register.add_argument("--versions-url", required=True, help="the platform's versions URL")
    register.add_argument(
        "--token-a", required=True, help="the token A it gave us (use --token-a=TOKEN if it begins with -)"
    )
    rotate = psub.add("rotate-token", "issue a new token for a registered platform and hand it over (credentials PUT)")
    rotate.add_argument("platform", help=PLATFORM_HELP)
    pin = psub.add("pin-cert", "mutual TLS: the client certificate a platform must present")
    pin.add_argument("platform", help=PLATFORM_HELP)
    pinned = pin.add_mutually_exclusive_group(required=True)
    pinned.add_argument("--sha256", metavar="HEX", help="SHA-256 of the DER certificate (colons allowed)")
    pinned.add_argument("--clear", action="store_true", help="lift the pin")
    failover = psub.add("failover", "alternate base URLs tried when the primary fails")
    failover.add_argument("platform", help=PLATFORM_HELP)
    failover.add_argument("origins", nargs="*", help="e.g. https://backup.example.com (none: clear)")
    apply = psub.add("apply", "create the platforms declared in a TOML file (config as code; existing ones are kept)")
    apply.add_argument("file", help="the TOML file, e.g. config/platforms.example.toml")

    upstreams = sub.add("upstreams", "upstream hubs (OCPI: spec or gireve profile; OICP) and their routes")
    usub = _Sub(upstreams, "action", "upstream commands")
    uadd = usub.add("add", "declare an upstream hub (an OCPI one gets a token A to register with)")
    uadd.add_argument("--name", required=True, help="a unique name, 1-100 characters")
    uadd.add_argument("--kind", choices=["ocpi", "oicp"], required=True, help="the protocol it speaks")
    uadd.add_argument("--profile", help="ocpi: spec (default) or gireve; oicp: hubject")
    uadd.add_argument("--hub-role", required=True, help="the upstream's own party, e.g. HUB:FR:007")
    uadd.add_argument(
        "--route", action="append", default=[], help="ROLE:CC:PID[=ID,ID] reachable through it (repeatable)"
    )
    uadd.add_argument("--option", action="append", default=[], help="KEY=VALUE adapter option (repeatable)")
    uadd.add_argument("--timeout", type=_seconds, help="seconds to wait for its replies")
    _json(uadd)
    _json(usub.add("list", "upstream hubs with their routes"))
    ushow = usub.add("show", "one upstream hub, its routes with status, source and last traffic (JSON)")
    ushow.add_argument("platform", help="the upstream's id or name")
    _json(ushow)
    uroutes = usub.add("routes", "set the configured routes through an upstream hub")
    uroutes.add_argument("platform", help="the upstream's id or name")
    uroutes.add_argument("--route", action="append", default=[], help="ROLE:CC:PID[=ID,ID] (repeatable; none: clear)")
    uremove = usub.add("remove", "remove an upstream hub and its routes")
    uremove.add_argument("platform", help="the upstream's id or name")

    agreements = sub.add("agreements", "which parties may exchange which modules")
    asub = _Sub(agreements, "action", "agreement commands")
    for verb in ("allow", "deny"):
        rule = asub.add(verb, f"{verb} two parties (CC:PID or *) to exchange a module (or *)")
        rule.add_argument("party_a", help="CC:PID or *")
        rule.add_argument("party_b", help="CC:PID or *")
        rule.add_argument("--module", default="*", help="an OCPI module, e.g. cdrs (default: * = all)")
    _json(asub.add("list", "the agreements, most specific first"))
    aremove = asub.add("remove", "remove one agreement")
    aremove.add_argument("id", type=int, help="the agreement's id (see `agreements list`)")

    outbox = sub.add("outbox", "deliveries the hub owes (broadcasts, HubClientInfo, pushes queued for upstream hubs)")
    osub = _Sub(outbox, "action", "outbox commands")
    _json(osub.add("status", "messages per status"))
    olist = osub.add("list", "messages in one status")
    olist.add_argument("--status", default="dead", choices=OUTBOX_STATUSES, help="which messages (default: dead)")
    _json(olist)
    replay = osub.add("replay", "queue dead messages again")
    replay.add_argument("id", type=int, nargs="?", help="one message (default: all dead)")

    keys = sub.add("keys", "the key that seals tokens and personal data at rest")
    ksub = _Sub(keys, "action", "key commands")
    ksub.add("rotate", "re-encrypt everything sealed under previous_secret_keys with secret_key (while serving)")

    privacy = sub.add("privacy", "personal data the hub keeps")
    prsub = _Sub(privacy, "action", "privacy commands")
    erase = prsub.add("erase-token", "erase one token's personal data (GDPR), keeping an audit trail")
    erase.add_argument("--party", required=True, type=_party_key, metavar="CC:PID", help="the token's owner (eMSP)")
    erase.add_argument("--uid", required=True, help="the token's uid")
    prsub.add("prune", "delete stored sessions and CDRs older than their retention now")

    demo = sub.add("demo", "play a charging session through a hub with a simulated CPO and eMSP")
    demo.add_argument("--keep-running", action="store_true", help="leave the hub and simulators up until Ctrl-C")
    demo.add_argument(
        "--via-upstream",
        action="store_true",
        help="put the eMSP on a second hub, chained to the first as its upstream: the session crosses both",
    )
    demo.add_argument(
        "--cpo-version",
        choices=("2.1.1", "2.2.1", "2.3.0"),
        default="2.2.1",
        help="the OCPI version the CPO speaks (the eMSP speaks 2.2.1): the hub translates between them",
    )
    return parser
