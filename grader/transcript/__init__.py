"""Chat transcripts: the model and the readers for real exports (JSONL, Qianniu text, CSV/XLSX)."""
from grader.transcript.model import Message, Transcript
from grader.transcript.reader import ReadResult, SetAside, iter_read, read_file, read_paths

__all__ = ["Message", "ReadResult", "SetAside", "Transcript", "iter_read", "read_file", "read_paths"]
