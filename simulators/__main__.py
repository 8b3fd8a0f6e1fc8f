"""`python -m simulators cpo|emsp ...`: run one simulated party on its own, until Ctrl-C.

    python -m simulators cpo --party NL:CPO --evses 10000 --register-at http://127.0.0.1:8080/ocpi/versions --token-a A
    python -m simulators emsp --party DE:MSP --tokens 1000 --port 9002 --faults slow=0.5,5xx=0.1
    python -m simulators cpo --version 2.1.1 --register-at http://127.0.0.1:8080/ocpi/versions --token-a A

Without --register-at it prints a token A, for the hub operator to register the hub at it
(`ocpi-hub platforms register ID --versions-url URL --token-a TOKEN`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from collections.abc import Sequence

from hub.types import PartyKey
from simulators.cpo import SimulatedCpo
from simulators.data import VERSIONS
from simulators.emsp import SimulatedEmsp
from simulators.faults import Faults
from simulators.journal import Exchange, format_exchange
from simulators.platform import OcpiPlatform, RegistrationFailed


def _party(text: str) -> PartyKey:
    country_code, _, party_id = text.partition(":")
    if len(country_code) != 2 or len(party_id) != 3:
        raise argparse.ArgumentTypeError("a party is CC:PID, e.g. NL:CPO")
    return PartyKey.of(country_code, party_id)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m simulators", description="Run a simulated OCPI party.")
    parser.add_argument("role", choices=["cpo", "emsp"])
    parser.add_argument("--version", choices=VERSIONS, default="2.2.1", help="the OCPI edition (default 2.2.1)")
    parser.add_argument("--party", type=_party, help="CC:PID (default NL:CPO or DE:MSP)")
    parser.add_argument("--name", help="platform name (default cpo-nl-cpo, ...)")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    parser.add_argument("--register-at", metavar="VERSIONS_URL", help="the hub's versions URL")
    parser.add_argument("--token-a", help="the token A the hub operator issued (with --register-at)")
    parser.add_argument("--faults", type=Faults.parse, default=Faults(), help="e.g. slow=0.5,5xx=0.1,refuse")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--page-limit", type=int, default=100)
    parser.add_argument("--quiet", action="store_true", help="do not print each exchange")
    cpo = parser.add_argument_group("cpo")
    cpo.add_argument("--evses", type=int, default=20)
    cpo.add_argument("--evses-per-location", type=int, default=4)
    cpo.add_argument("--publish-to", type=_party, action="append", help="eMSP CC:PID (default: broadcast)")
    cpo.add_argument("--publish", action="store_true", help="push tariffs and locations after registering")
    emsp = parser.add_argument_group("emsp")
    emsp.add_argument("--tokens", type=int, default=20)
    return parser


def _build(args: argparse.Namespace) -> OcpiPlatform:
    def show(exchange: Exchange) -> None:
        print(format_exchange(exchange), flush=True)

    observer = None if args.quiet else show
    common = {
        "name": args.name,
        "faults": args.faults,
        "page_limit": args.page_limit,
        "observer": observer,
        "version": args.version,
    }
    if args.role == "cpo":
        party = args.party or PartyKey.of("NL", "CPO")
        return SimulatedCpo(
            country_code=party.country_code,
            party_id=party.party_id,
            evses=args.evses,
            evses_per_location=args.evses_per_location,
            seed=args.seed,
            publish_to=args.publish_to,
            **common,
        )
    party = args.party or PartyKey.of("DE", "MSP")
    return SimulatedEmsp(
        country_code=party.country_code, party_id=party.party_id, tokens=args.tokens, seed=args.seed, **common
    )


async def _run(args: argparse.Namespace) -> int:
    platform = _build(args)
    await platform.start(args.port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        print(
            f"{platform.party.label} ({platform.name}, OCPI {platform.version}) at {platform.versions_url}, "
            f"faults: {args.faults.describe()}"
        )
        if args.register_at:
            await platform.register(args.register_at, args.token_a or "")
            print(f"Registered with the hub at {args.register_at}")
            if isinstance(platform, SimulatedCpo) and args.publish:
                replies = await platform.publish_tariffs() + await platform.publish_locations()
                print(f"Published: {sum(r.ok for r in replies)} of {len(replies)} pushes accepted")
        else:
            print(f"Token A for the hub operator: {platform.issue_token_a()}")
        print("Ctrl-C to stop.", flush=True)
        await stop.wait()
        return 0
    except RegistrationFailed as exc:
        print(f"Registration failed: {exc}", file=sys.stderr)
        return 1
    finally:
        await platform.stop()


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.register_at and not args.token_a:
        print("--register-at needs --token-a", file=sys.stderr)
        return 2
    return asyncio.run(_run(args))


if __name__ == "__main__":
    sys.exit(main())
