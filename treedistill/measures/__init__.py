"""Stage 4, measures: how closely a student follows its teacher.

Agreement, KL, TV and intervals (``_metrics``), the rare-outcome measures at
operating points (``_fidelity``), bootstrap stability of the tree
(``_stability``) and the leaves that come from missing values
(``_missing_signal``). A new measure goes in ``_metrics`` or ``_fidelity`` and is
shown by a section of ``report``.

May import: ``common``, ``data``, ``teachers``, ``distill``.
"""
