"""`make bench`: every benchmark in one run, figures printed and written to bench-results/."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from benchmarks import broadcast, isolation, routing, validation


def main() -> None:
    parser = argparse.ArgumentParser(description="hub benchmarks")
    parser.add_argument("--seconds", type=float, default=5.0, help="duration of each measurement")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--only", choices=["routing", "broadcast", "isolation", "validation"], help="run one benchmark")
    args = parser.parse_args()
    report = {}
    if args.only in (None, "routing"):
        report["routing"] = routing.run(args.seconds, args.connections)
    if args.only in (None, "broadcast"):
        report["broadcast"] = broadcast.run(args.seconds)
    if args.only in (None, "isolation"):
        report["isolation"] = isolation.run(args.seconds, args.connections)
    if args.only in (None, "validation"):
        report["validation"] = validation.run(args.seconds, args.connections)
    out = Path("bench-results")
    out.mkdir(exist_ok=True)
    path = out / f"bench-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(report, indent=2))
    print(f"\nwritten: {path}")


if __name__ == "__main__":
    main()
