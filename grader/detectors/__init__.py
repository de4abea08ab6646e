"""Detectors: each reads a chat and measures one or more rubric items, with evidence.

Every module in this package is imported so its `@register`ed detectors join `REGISTRY`.
"""
import importlib
import pkgutil

from grader.detectors.base import REGISTRY, Detector, LexiconItemDetector, register
from grader.detectors.chat import Chat
from grader.detectors.findings import Evidence, Finding, Measurement
from grader.detectors.lexicon import Lexicon, LexiconSet

_SUPPORT = {"base", "chat", "findings", "lexicon"}
for _mod in pkgutil.iter_modules(__path__):
    if _mod.name not in _SUPPORT and not _mod.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_mod.name}")

__all__ = ["REGISTRY", "Chat", "Detector", "Evidence", "Finding", "Lexicon", "LexiconItemDetector",
           "LexiconSet", "Measurement", "register"]
