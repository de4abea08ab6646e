from grader.scorecard.model import ItemScore, Scorecard, Versions

__all__ = ["ItemScore", "Scorecard", "Versions"]
