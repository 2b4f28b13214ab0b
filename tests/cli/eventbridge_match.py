#!/usr/bin/env python3
"""Matches EventBridge event patterns against events with moto's EventPattern, an implementation of
EventBridge matching independent of ecr-scan-gate (tests/cli/event_pattern.rs drives it).

stdin: {"patterns": [PATTERN, ...], "events": [EVENT, ...], "pairs": [[pattern index, event index], ...]}
stdout: [true|false, ...], one per pair. Exits 1 (loudly) when moto is missing or a pattern is refused.
"""

import json
import sys

try:
    from moto.events.models import EventPattern
except ImportError as error:  # pragma: no cover - the test must fail, not skip
    sys.exit(f"moto is not installed (scripts/test installs moto[server]): {error}")


def main() -> None:
    request = json.load(sys.stdin)
    patterns = [EventPattern.load(json.dumps(pattern)) for pattern in request["patterns"]]
    events = request["events"]
    json.dump([patterns[p].matches_event(events[e]) for p, e in request["pairs"]], sys.stdout)


if __name__ == "__main__":
    main()
