"""`grader grade ...` in this process with SQLite's secure_delete off: what secure_delete costs (bench only).

    python -m bench.secure_delete off DIR --date 2026-11-22 --db x.db --out out --workers 1
    python -m bench.secure_delete on  DIR ...          # the same command as `grader grade`

Every connection of the grader runs `PRAGMA secure_delete=ON` (grader.store.core), so the content
of deleted or overwritten rows is zeroed in the file; `off` sets it back to SQLite's default after
that, for a run whose CPU is compared with the same run `on` (bench.run). One worker grades in this
process, so the setting holds for every connection it opens.
"""
from __future__ import annotations

import sys


def main(argv: list[str]) -> int:
    from grader import cli
    from grader.store import core

    mode, rest = argv[0], argv[1:]
    if mode == "off":
        pragmas = core._sqlite_pragmas

        def without_secure_delete(dbapi_conn, record) -> None:
            pragmas(dbapi_conn, record)
            dbapi_conn.execute("PRAGMA secure_delete=OFF")

        core._sqlite_pragmas = without_secure_delete
    return cli.main(["grade", *rest])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
