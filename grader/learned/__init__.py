"""The learned layer: per-shop models over the rule scores, and the model file a shop adopts.

`model` fits and applies the models (`Bundle`); `model_file` saves candidates and loads the adopted
file beside the lexicons. Grading (`grader.pipeline.Grader`) applies an adopted model after the
rules; calibration (`grader.calibration`) fits, evaluates and offers them.
"""
