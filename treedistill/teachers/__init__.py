"""Stage 2, teachers: anything that gives logits, and its softened probabilities.

Wrapping fitted classifiers, torch.export programs and ensembles (``_teachers``),
the temperature and label blend (``_soften``), the default MLP teacher
(``_mlp``, ``_mlp_columns``, ``_mlp_train``), training it (``_train``) and teacher
files without pickle (``_teacher_files``). A new teacher format goes in
``_teachers`` (its logits) and ``_teacher_files`` (its file).

May import: ``common``, ``data``.
"""
