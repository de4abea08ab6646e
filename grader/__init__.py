"""grader: grade Chinese e-commerce customer-service chats the way a supervisor would."""
from grader.errors import ConfigError, GraderError, ReadError
from grader.pipeline import Grader, grade
from grader.scorecard.model import ItemScore, Scorecard
from grader.transcript.model import Message, Transcript

__all__ = ["ConfigError", "Grader", "GraderError", "ItemScore", "Message", "ReadError", "Scorecard",
           "Transcript", "grade"]
