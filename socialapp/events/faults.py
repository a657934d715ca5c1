"""Fault injection: named points where a test makes a real process stop at the worst moment.

Production code marks a point where a crash must be survivable with `fault_point(NAME, detail)`.
It does nothing unless the process's environment variable SOCIALAPP_FAULTS names that point:

    SOCIALAPP_FAULTS="relay.hold_before_mark=/tmp/held"

(several points: separate them with `;`). The only action is "hold": write `detail` to the file
given as the point's argument, then hang until killed, so that a test can wait for the file and
kill -9 the process exactly there (tests/events/test_faults.py). `fault_env()` builds the variable
for a child process. A name that no point has is refused when the variable is read, so a typo in
a test cannot silently test nothing. docs/pipeline.md, "Fault injection", lists the points.
"""

from __future__ import annotations

import logging
import os
import time

log = logging.getLogger(__name__)

ENV = "SOCIALAPP_FAULTS"

#: After the relay published a batch and before it marks the rows published: a kill here leaves
#: published but unmarked rows, republished by the next relay (a duplicate the projectors skip).
RELAY_HOLD_BEFORE_MARK = "relay.hold_before_mark"

POINTS = frozenset({RELAY_HOLD_BEFORE_MARK})


def _known(name: str, where: str = "") -> str:
    """`name`, if a point has it; a typo must fail loudly rather than arm (or test) nothing."""
    if name not in POINTS:
        raise ValueError(f"{where}unknown fault point {name!r} (known: {sorted(POINTS)})")
    return name


def armed() -> dict[str, str]:
    """The points the environment arms now: {name: argument}."""
    spec = os.environ.get(ENV, "")
    found: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in spec.split(";"))):
        name, _, argument = item.partition("=")
        found[_known(name, f"{ENV}: ")] = argument
    return found


def fault_point(name: str, detail: str = "") -> None:
    """Hold here if the environment arms `name` and its file does not exist yet (a restarted
    process runs on); otherwise return at once."""
    path = armed().get(_known(name))
    if not path or os.path.exists(path):
        return
    with open(path, "w") as fh:
        fh.write(detail)
    log.warning("fault injection: holding at %s until killed", name)
    while True:
        time.sleep(1)


def fault_env(**points: str) -> dict[str, str]:
    """The environment that arms these points in a child process: fault_env(**{NAME: path})."""
    return {ENV: ";".join(f"{_known(name)}={argument}" for name, argument in points.items())}
