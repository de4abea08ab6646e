"""Building pydantic models from values already checked, without pydantic's per-call work.

`model_construct` skips validation but still loops over every field in Python (about 9 µs); the
reader builds millions of messages and the detectors hundreds of findings per chat. `constructor`
returns a function that sets the same attributes directly (about 1 µs), after checking once, on a
sample, that the result equals `model_construct`'s; if pydantic's internals ever differ, it
returns `model_construct` itself, so only speed is at stake.
"""
from __future__ import annotations

from typing import Callable, TypeVar

from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)
_new = object.__new__
_set = object.__setattr__


def constructor(model: type[M], sample: dict) -> Callable[[dict], M]:
    """A function building `model` from a dict holding every field (the dict becomes the model's)."""
    fields = frozenset(model.model_fields)

    def fast(values: dict) -> M:
        m = _new(model)
        _set(m, "__dict__", values)
        _set(m, "__pydantic_fields_set__", set(fields))
        _set(m, "__pydantic_extra__", None)
        _set(m, "__pydantic_private__", None)
        return m

    def slow(values: dict) -> M:
        return model.model_construct(**values)

    try:
        a, b = fast(dict(sample)), slow(dict(sample))
        name = next(iter(sample))
        setattr(a, name, sample[name])  # pydantic's __setattr__ must work on it
        setattr(b, name, sample[name])
        if (set(sample) == fields and a == b and a.model_dump() == b.model_dump()
                and a.model_fields_set == b.model_fields_set and a.model_dump_json() == b.model_dump_json()):
            return fast
    except Exception:  # noqa: BLE001 — pydantic internals changed: use the public API
        pass
    return slow
