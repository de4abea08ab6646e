"""The errors grader raises. Messages say what is wrong and how to fix it."""


class GraderError(Exception):
    """Base class for every error grader raises on purpose."""


class ReadError(GraderError):
    """A transcript could not be read; carries where (file, line) and why."""

    def __init__(self, reason: str, file: str | None = None, line: int | None = None):
        super().__init__(reason)
        self.reason = reason
        self.file = file
        self.line = line


class ConfigError(GraderError):
    """A lexicon, rubric or setting file is malformed."""
