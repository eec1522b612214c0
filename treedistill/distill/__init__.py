"""Stage 3, distill: the transfer set and the students fit to its soft labels.

Augmentation (``_transfer``), the soft-label tree and boosted students
(``_students``, ``_hist_tree``, ``_tao``), exact thresholds (``_thresholds``),
rules (``_rules``), bounded-memory fitting (``_streaming``, ``_spill``), the
scikit-learn estimators (``_estimators``), the saved student (``_student_doc``,
``_bundle``) and the parameters of a run, checked in one place (``_options``).
A new student goes in ``_students`` and is offered by ``_estimators``.

May import: ``common``, ``data``, ``teachers``.
"""
