"""The names a distillation's options choose from, and the defaults the command
line shows in its help.

Plain Python only (no numerical library), so that ``treedistill --help`` and a
mistyped option answer at once. The modules that act on these names import them
from here; ``tests/distill/test_choices.py`` checks the defaults against the
estimators' own signatures.
"""

from __future__ import annotations

__all__ = [
    "AUGMENTATIONS",
    "CRITERIA",
    "ENSEMBLE_METHODS",
    "FITTED_KINDS",
    "HELP_DEFAULTS",
    "OBJECTIVES",
    "RARE_PREVALENCE",
    "SEARCHES",
    "STUDENT_KINDS",
]

#: What a run fits: one kind of student or both.
STUDENT_KINDS = ("tree", "boosted", "both")
#: The kinds of fitted students a run folder holds.
FITTED_KINDS = ("tree", "boosted")
#: Augmenters of the transfer set (``treedistill.distill._transfer.AUGMENTERS``),
#: and no augmentation.
AUGMENTATIONS = ("munge", "jitter", "box", "none")
#: Split criteria of the tree student.
CRITERIA = ("entropy", "gini")
#: What the tree student is built for: the teacher's class as often as possible
#: ("agreement"), the teacher's risk order and flags ("ranking"), or chosen from
#: the outcome ("auto": ranking for a rare binary outcome, agreement otherwise).
OBJECTIVES = ("auto", "agreement", "ranking")
#: A binary outcome is rare when its positive (by default rarer) class holds less
#: than this share of the training rows: the tree is then built for ranking and
#: the report leads with flagged patients and ranking.
RARE_PREVALENCE = 0.2
#: How the tree student is searched for ("auto": "prune" for the agreement
#: objective, "greedy" for ranking).
SEARCHES = ("auto", "greedy", "prune", "tao")
#: How the distributions of several teachers are combined.
ENSEMBLE_METHODS = ("arithmetic", "geometric")
#: The student defaults the command line's help names, per kind.
HELP_DEFAULTS = {
    "tree": {"temperature": 1.0, "augment_factor": "auto"},
    "boosted": {"temperature": 1.0, "augment_factor": 5.0},
}
