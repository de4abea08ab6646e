"""The rubric (items, levels, bands) and the one place where measurements become scores."""
from grader.rubric.rubric import SCENARIO_LABELS, Item, RedLine, Rubric, load_rubric

__all__ = ["SCENARIO_LABELS", "Item", "RedLine", "Rubric", "load_rubric"]
