"""Stage 8, export: a student as SQL, ONNX or a dependency-free Python function.

What the writers share (``_common``: exact float64 cuts, tree and booster specs),
one module per format (``_sql``, ``_onnx``, ``_python``) and the export of a saved
run's student (``_saved``). A new format gets a module here and an entry in
``_names.FORMATS``.

May import: every stage below it, ``runs`` included (to load a saved student).
"""
