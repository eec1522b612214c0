"""Tests for treedistill.common._files: atomic writes and hashes."""

from __future__ import annotations

import hashlib
import os

import pytest

from tests._files import write
from treedistill.common._files import atomic_write_bytes, atomic_write_text, sha256_file
from treedistill.exceptions import DataError, OutputError


# --------------------------------------------------------------------------- #
# Atomic writes and hashes
# --------------------------------------------------------------------------- #
def test_atomic_write_text_and_bytes(tmp_path):
    target = tmp_path / "sub" / "out.txt"
    assert atomic_write_text(target, "héllo\n") == target
    assert target.read_bytes() == "héllo\n".encode()
    atomic_write_bytes(target, b"\x00\x01")
    assert target.read_bytes() == b"\x00\x01"
    assert sorted(p.name for p in target.parent.iterdir()) == ["out.txt"]


def test_atomic_write_failure_keeps_old_file_and_removes_temp(tmp_path, monkeypatch):
    target = tmp_path / "out.txt"
    target.write_text("old")

    def boom(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        atomic_write_text(target, "new")
    monkeypatch.undo()
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_atomic_write_failure_while_writing(tmp_path):
    target = tmp_path / "out.bin"
    with pytest.raises(TypeError):
        atomic_write_bytes(target, "not bytes")  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []


def test_atomic_write_into_a_folder_is_refused(tmp_path):
    with pytest.raises(OutputError, match="it is a folder"):
        atomic_write_text(tmp_path, "x")


def test_sha256_file(tmp_path):
    path = write(tmp_path, "a.bin", b"abc" * 1000)
    assert sha256_file(path) == hashlib.sha256(b"abc" * 1000).hexdigest()
    with pytest.raises(DataError, match="does not exist"):
        sha256_file(tmp_path / "none")
