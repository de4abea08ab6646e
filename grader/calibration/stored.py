"""The calibration report precomputed into the database, so /calibration answers at once at any volume.

`refresh_calibration(store, since, until, settings)` runs `calibrate` (agreement, proposals and
their held-out evaluation: seconds to minutes, in the number of labelled chats) and stores the page
fragment it renders under "calibration:<since>..<until>" (`stored_reports`) with the fingerprint of
what it read: the database's change stamp, the lexicon files and the grading settings. It runs after
the daily run (for the page's default, every date), from `grader calibrate`, and in the review app's
background when the page finds the stored one stale or missing.
"""
from __future__ import annotations

import time


def calibration_key(since: str | None, until: str | None) -> str:
    return f"calibration:{since or '…'}..{until or '…'}"


def calibration_stamp(store, settings) -> str:
    """What a stored report is fresh at: the database's change stamp, the lexicon files' contents and
    the grading settings (a lexicon edit or adoption makes the report stale)."""
    from grader.detectors.lexicon import lexicon_digest

    return f"{store.change_stamp()}|{lexicon_digest(settings.lexicons)}|{settings.key()}"


def refresh_calibration(store, since: str | None, until: str | None, settings) -> dict:
    """Compute the report of since..until and store it; returns the stored body {html, period, chats, labels}."""
    from grader.calibration import calibrate, render_calibration_html

    began = time.perf_counter()
    stamp = calibration_stamp(store, settings)  # before reading: a change meanwhile leaves it stale
    period = f"{since or '…'}..{until or '…'}"
    report = calibrate(store, since or None, until or None, settings.lexicons, period=period, settings=settings)
    body = {"html": render_calibration_html(report), "period": period, "chats": report.agreement.chats,
            "labels": report.agreement.labels}
    store.put_report(calibration_key(since, until), stamp, body, round(time.perf_counter() - began, 2))
    return body


def stored_calibration(store, since: str | None, until: str | None, settings) -> tuple[dict | None, bool]:
    """(the stored report {stamp, computed_at, seconds, body} of since..until or None, whether it is fresh)."""
    found = store.stored_report(calibration_key(since, until))
    return found, bool(found) and found["stamp"] == calibration_stamp(store, settings)
