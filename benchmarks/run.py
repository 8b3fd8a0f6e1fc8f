"""`make bench`: every benchmark in one run, figures printed and written to benchmarks/results/.

The routed-path comparison (benchmarks/routing.py) runs at 64 connections unless --connections
says otherwise; isolation and validation keep their 32. With the default 5 s per measurement the
whole run takes about four minutes on the 2-core development machine.
"""

from __future__ import annotations

import argparse
import json
import time

from benchmarks import broadcast, editions, isolation, routing, upstream, validation, write_path


def main() -> None:
    parser = argparse.ArgumentParser(description="hub benchmarks")
    parser.add_argument("--seconds", type=float, default=5.0, help="duration of each measurement")
    parser.add_argument("--connections", type=int, help="wrk connections (default: 64 routing, 32 the others)")
    parser.add_argument(
        "--only",
        choices=["routing", "broadcast", "isolation", "validation", "write_path", "upstream", "editions"],
        help="run one benchmark",
    )
    parser.add_argument("--write-base", default=write_path.BASE_REF, help="write_path: the commit to compare with")
    parser.add_argument(
        "--hub-cache-ttl", type=float, default=2.0, help="routing: the hub's cache TTL (short, so runs cross expiries)"
    )
    parser.add_argument("--profile", action="store_true", help="routing: py-spy on the hub (1 worker), one more run")
    args = parser.parse_args()
    report = {}
    if args.only in (None, "routing"):
        report["routing"] = routing.run(
            args.seconds, args.connections or 64, cache_ttl=args.hub_cache_ttl, profile=args.profile
        )
    if args.only in (None, "broadcast"):
        report["broadcast"] = broadcast.run(args.seconds)
    if args.only in (None, "isolation"):
        report["isolation"] = isolation.run(args.seconds, args.connections or 32)
    if args.only in (None, "upstream"):
        report["upstream"] = upstream.run(args.seconds, args.connections or 32)
    if args.only in (None, "editions"):
        report["editions"] = editions.run(args.seconds, args.connections or 32)
    if args.only in (None, "validation"):
        report["validation"] = validation.run(args.seconds, args.connections or 32)
    if args.only in (None, "write_path"):
        report["write_path"] = write_path.run(args.seconds, base_ref=args.write_base)
    out = routing.RESULTS
    out.mkdir(exist_ok=True)
    path = out / f"bench-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(report, indent=2))
    print(f"\nwritten: {path}")


if __name__ == "__main__":
    main()
