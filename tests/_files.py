"""Small file helpers shared by the tests of the file, table and teacher modules."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from treedistill import read_table


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    """Write ``content`` (text as UTF-8) to ``tmp_path / name``."""
    path = tmp_path / name
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return path


def frame_from(tmp_path: Path, text: str, name: str = "d.csv") -> pd.DataFrame:
    """Read ``text`` as a table file named ``name``."""
    return read_table(write(tmp_path, name, text))
