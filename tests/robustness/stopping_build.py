"""``python stopping_build.py MOMENT COUNT ARGS...``: ``build.py ARGS``, which stops itself
(SIGSTOP, like a debugger's breakpoint) at one moment of its writer, so that a test can kill or
interrupt the build exactly there on any machine. Polling from outside for a moment that lasts
a fraction of a second is a race: a loaded machine may not run the test while it lasts.

- ``staging``: before the COUNTth file the build opens for writing in a stage beside the output
  (the new site is being written; the output is untouched);
- ``applying``: before the COUNTth rename from a stage into the output (the change is applied in
  place, with its journal in the stage).

The moments are seen through Python's audit events (``open``, ``os.rename``, which
``os.replace`` raises too): the build runs its own code, unchanged. A build that never gets
there runs to its end, and the test's wait for the stop fails.
"""
from __future__ import annotations

import os
import runpy
import signal
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
STAGE = "/.stride-tmp-"  # the writer's stage folders beside the output (writer.TEMP_PREFIX)
FOR_WRITING = os.O_WRONLY | os.O_RDWR


def at_moment(moment: str, event: str, args: tuple) -> bool:
    if moment == "staging" and event == "open" and not isinstance(args[0], int):
        return STAGE in os.fsdecode(args[0]) and bool(args[2] & FOR_WRITING)
    if moment == "applying" and event == "os.rename":
        return STAGE in os.fsdecode(args[0]) and STAGE not in os.fsdecode(args[1])
    return False


def stop_at(moment: str, count: int) -> None:
    left = count

    def hook(event: str, args: tuple) -> None:
        nonlocal left
        if left > 0 and at_moment(moment, event, args):
            left -= 1
            if left == 0:
                os.kill(os.getpid(), signal.SIGSTOP)

    sys.addaudithook(hook)


def main() -> None:
    moment, count, *args = sys.argv[1:]
    if moment not in ("staging", "applying") or int(count) < 1:
        sys.exit(f"usage: {sys.argv[0]} staging|applying COUNT BUILD-ARGS...")
    stop_at(moment, int(count))
    sys.argv = [str(REPO / "build.py"), *args]
    sys.path[0] = str(REPO)  # as `python build.py` has it, not this file's folder
    runpy.run_path(sys.argv[0], run_name="__main__")


if __name__ == "__main__":
    main()
