"""Running the daily grading on one core, on all cores, or on a Dask cluster — the same code.

The input is split into parts (one per file); each part is read and graded where it runs
(`work.grade_part`) and comes back as serialized batches, which the run stores in one
transaction each (`save.save_graded`) and writes to the scorecard files in input order.
"""
from pathlib import Path
from typing import Iterable, Iterator

from grader.transcript.reader import walk


def parts_of(paths: Iterable[str | Path]) -> Iterator[str]:
    """The files under `paths`, in the order the reader reads them (a missing path stays as is,
    so reading it sets it aside)."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            yield from (str(f) for f in walk(path))
        else:
            yield str(path)
