"""Stage 0, common: what every stage shares and nothing else.

Atomic file writes and file hashes (``_files``), the JSON form of every number
written (``_json``), text that users open safely (``_text``), the version.

May import: the standard library, numpy, pandas and ``treedistill.exceptions``;
no other stage.
"""
