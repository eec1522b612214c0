"""Output locations: refusal, the marker, staging, atomic and exclusive publishing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from treedistill.exceptions import OutputError
from treedistill.runs._outdir import (
    MARKER,
    Staging,
    check_out_dir,
    check_out_file,
    clean_stale_staging,
    refresh_marker,
    write_new_file,
)


def _published(tmp_path: Path, name: str = "run", files=("a.txt",)) -> Path:
    stage = Staging(tmp_path / name)
    for f in files:
        (stage.path / f).write_text(f)
    stage.publish()
    return tmp_path / name


def test_check_out_dir(tmp_path):
    assert check_out_dir(tmp_path / "new", force=False) == tmp_path / "new"
    empty = tmp_path / "empty"
    empty.mkdir()
    assert check_out_dir(empty, force=False) == empty
    full = tmp_path / "full"
    full.mkdir()
    (full / "x").write_text("x")
    with pytest.raises(OutputError, match="already exists and is not empty") as info:
        check_out_dir(full, force=False)
    assert str(full) in str(info.value) and info.value.parameter == "force"
    with pytest.raises(OutputError, match="full' is not a folder treedistill wrote"):
        check_out_dir(full, force=True)
    with pytest.raises(OutputError, match="current folder"):
        check_out_dir(Path.cwd(), force=True)
    a_file = tmp_path / "file"
    a_file.write_text("x")
    with pytest.raises(OutputError, match="is not a folder"):
        check_out_dir(a_file, force=True)


def test_force_replaces_only_what_treedistill_wrote(tmp_path):
    run = _published(tmp_path)
    marker = json.loads((run / MARKER).read_text())
    assert list(marker["files"]) == ["a.txt"]
    assert check_out_dir(run, force=True) == run
    with pytest.raises(OutputError, match="holds the input file"):
        check_out_dir(run, force=True, keep=[run / "a.txt"])
    (run / "thesis.tex").write_text("years of work")
    with pytest.raises(
        OutputError, match=r"thesis.tex' was not written by treedistill"
    ):
        check_out_dir(run, force=True)
    (run / "thesis.tex").unlink()
    (run / "a.txt").write_text("edited")
    with pytest.raises(OutputError, match="a.txt' was changed after treedistill"):
        check_out_dir(run, force=True)
    refresh_marker(run, ["a.txt"])  # treedistill rewrote it itself
    assert check_out_dir(run, force=True) == run


def test_refresh_marker_seals_only_the_files_it_is_given(tmp_path):
    run = _published(tmp_path, files=("a.txt", "b.txt"))
    (run / "mine.csv").write_text("the user's own file")
    (run / "b.txt").write_text("the user's edit")
    (run / "a.txt").write_text("re-rendered")
    refresh_marker(run, [run / "a.txt"])
    files = json.loads((run / MARKER).read_text())["files"]
    assert sorted(files) == ["a.txt", "b.txt"]  # mine.csv is not adopted
    with pytest.raises(OutputError, match="b.txt' was changed"):
        check_out_dir(run, force=True)


@pytest.mark.parametrize(
    "files",
    [
        {"report.json": "{}", "report.md": "notes", "inputs/thesis.tex": "x"},
        {"config.json": "{}", "report.json": "{}"},
        {"config.json": "{}", "thesis.tex": "x"},
    ],
)
def test_a_folder_without_the_record_is_never_replaced(tmp_path, files):
    folder = tmp_path / "mynotes"
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    with pytest.raises(OutputError, match=f"mynotes' is not a folder .*{MARKER}"):
        check_out_dir(folder, force=True)
    (folder / MARKER).write_text("{not json")  # an unreadable record is no record
    with pytest.raises(OutputError, match="is not a folder treedistill wrote"):
        check_out_dir(folder, force=True)


def test_a_report_folder_never_replaces_a_run(tmp_path):
    run = _published(tmp_path, files=("config.json", "student.json"))
    assert json.loads((run / MARKER).read_text())["kind"] == "run"
    with pytest.raises(OutputError, match="holds a treedistill run"):
        check_out_dir(run, force=True)  # by default, a run is never replaced
    assert check_out_dir(run, force=True, replaces=("run", "report")) == run
    stage = Staging(tmp_path / "rendered", kind="report", replaces=("report",))
    (stage.path / "report.md").write_text("r")
    stage.publish()
    rendered = tmp_path / "rendered"
    assert check_out_dir(rendered, force=True, replaces=("report",)) == rendered


def test_no_single_file_is_written_over_a_file_of_a_run(tmp_path):
    run = _published(
        tmp_path, files=("config.json", "student.json", "held_out_rows.csv")
    )
    (run / "inputs").mkdir()
    (run / "inputs" / "d.csv").write_text("x")
    refresh_marker(run, [run / "inputs" / "d.csv"])
    for name in ("student.json", "held_out_rows.csv", MARKER, "inputs/d.csv"):
        with pytest.raises(
            OutputError, match="is a file of the treedistill run"
        ) as info:
            check_out_file(run / name, force=True)
        assert name.split("/")[-1] in str(info.value)
        assert info.value.parameter == "force"
    # the same file by another spelling of its path
    with pytest.raises(OutputError, match="is a file of the treedistill run"):
        check_out_file(run / "inputs" / ".." / "student.json", force=True)
    assert check_out_file(run / "new.csv", force=False) == run / "new.csv"


def test_symlink_out_is_refused(tmp_path):
    target = tmp_path / "real"
    target.mkdir()
    link = tmp_path / "link"
    link.symlink_to(target)
    with pytest.raises(OutputError, match="is a symbolic link"):
        check_out_dir(link, force=True)
    file_link = tmp_path / "file-link.csv"
    file_link.symlink_to(tmp_path / "elsewhere.csv")
    with pytest.raises(OutputError, match="is a symbolic link"):
        check_out_file(file_link, force=True)


def test_read_only_location_is_refused_before_any_work(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root writes to read-only folders")
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        with pytest.raises(OutputError, match="permission denied"):
            check_out_dir(ro / "run", force=False)
    finally:
        ro.chmod(0o755)


def test_staging_publishes_whole_directories_only(tmp_path):
    out = tmp_path / "run"
    stage = Staging(out)
    assert stage.path.parent == tmp_path and stage.path.name.startswith(".run.")
    (stage.path / "a.txt").write_text("new")
    assert not out.exists()
    stage.publish()
    assert (out / "a.txt").read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["run"]

    stage = Staging(out, force=True)
    (stage.path / "b.txt").write_text("newer")
    assert (out / "a.txt").exists()  # old run intact while the new one is built
    stage.publish()
    assert sorted(p.name for p in out.iterdir()) == [MARKER, "b.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["run"]

    stage = Staging(out)
    (stage.path / "c.txt").write_text("discarded")
    stage.discard()
    assert sorted(p.name for p in out.iterdir()) == [MARKER, "b.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


def test_publish_is_exclusive(tmp_path):
    out = tmp_path / "run"
    first, second = Staging(out), Staging(out)
    (first.path / "a.txt").write_text("first")
    (second.path / "a.txt").write_text("second")
    first.publish()
    with pytest.raises(OutputError, match="written by another process"):
        second.publish()
    second.discard()
    assert (out / "a.txt").read_text() == "first"


def test_stale_staging_of_a_dead_process_is_removed(tmp_path):
    out = tmp_path / "run"
    stage = Staging(out)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    note = stage.path / ".treedistill-staging.json"
    info = json.loads(note.read_text())
    info["pid"] = int(dead.stdout)
    note.write_text(json.dumps(info))
    alive = Staging(out)  # this process: left alone
    odd = tmp_path / ".run.partial-odd"
    odd.mkdir()  # no record: reported, not removed
    notes = clean_stale_staging(out)
    assert not stage.path.exists() and alive.path.exists() and odd.exists()
    assert any("removed" in n and stage.path.name in n for n in notes)
    assert any(odd.name in n and "leftover" in n for n in notes)
    aside = tmp_path / ".run.old-abc"
    aside.mkdir()  # a replacement interrupted after moving the old run aside: kept
    notes = clean_stale_staging(out)
    assert aside.exists() and any(
        aside.name in n and "move it back" in n for n in notes
    )


def test_single_files_are_never_replaced_without_force(tmp_path):
    out = tmp_path / "p.csv"
    write_new_file(out, b"one", force=False)
    assert out.read_bytes() == b"one"
    with pytest.raises(OutputError, match="already exists") as info:
        check_out_file(out, force=False)
    assert info.value.parameter == "force"
    with pytest.raises(OutputError, match="written by another process"):
        write_new_file(out, b"two", force=False)
    assert out.read_bytes() == b"one"
    write_new_file(out, b"three", force=True)
    assert out.read_bytes() == b"three"
    assert [p.name for p in tmp_path.iterdir()] == ["p.csv"]
    with pytest.raises(OutputError, match="must end with .csv"):
        check_out_file(tmp_path / "p.txt", force=False, suffixes=(".csv",))
    with pytest.raises(OutputError, match="is the input file .* even with force"):
        check_out_file(out, force=True, keep=[out])
