"""Stage lines of a run: each stage's seconds on its own line."""

from __future__ import annotations

import re

from treedistill.cli._common import StageProgress, _show_warning


def test_each_stage_line_ends_with_its_own_time(capsys):
    with StageProgress(quiet=False) as progress:
        progress("read data", 0, 3)
        progress("split", 1, 3)
        _show_warning("bmi has 3 missing values", UserWarning, "x.py", 1)
        progress("teacher", 2, 3)
    lines = capsys.readouterr().err.splitlines()
    assert re.fullmatch(r"\[1/3\] read data… \d+\.\d s", lines[0]), lines
    # a warning ends the open line; the stage's time follows on its own line
    assert lines[1] == "[2/3] split…"
    assert lines[2] == "Warning: bmi has 3 missing values"
    assert re.fullmatch(r"  \(split: \d+\.\d s\)", lines[3]), lines
    # the last stage gets its time too, when the run ends
    assert re.fullmatch(r"\[3/3\] teacher… \d+\.\d s", lines[4]), lines
    assert len(lines) == 5
    assert StageProgress.active is None


def test_a_stage_that_fails_says_so_and_quiet_prints_nothing(capsys):
    try:
        with StageProgress(quiet=False) as progress:
            progress("teacher", 0, 2)
            raise ValueError("bad")
    except ValueError:
        pass
    assert capsys.readouterr().err == "[1/2] teacher… stopped\n"
    with StageProgress(quiet=True) as progress:
        progress("teacher", 0, 2)
    assert capsys.readouterr().err == ""
