"""The separator of a CSV file, guessed from its first rows."""

from __future__ import annotations

import csv
import io

__all__ = ["SNIFF_CHARS", "sniff_delimiter"]

_DELIMITERS = (",", ";", "\t")
SNIFF_CHARS = 65536
_SNIFF_ROWS = 50


def sniff_delimiter(text: str, suffix: str) -> str:
    """The candidate separator that splits the first rows most consistently."""
    sample = text[:SNIFF_CHARS]
    truncated = len(text) > len(sample)
    preferred = "\t" if suffix == ".tsv" else ","
    best, best_score = preferred, (-1.0, 0, 0)
    for delim in _DELIMITERS:
        try:
            rows = [
                r
                for r in csv.reader(io.StringIO(sample, newline=""), delimiter=delim)
                if r
            ][: _SNIFF_ROWS + 1]
        except csv.Error:
            continue
        if truncated and len(rows) > 1:
            rows = rows[:-1]  # the last record may be cut in the middle
        if not rows or len(rows[0]) < 2:
            continue
        width = len(rows[0])
        body = rows[1:] or rows
        consistent = sum(len(r) == width for r in body) / len(body)
        score = (consistent, width, int(delim == preferred))
        if score > best_score:
            best, best_score = delim, score
    return best
