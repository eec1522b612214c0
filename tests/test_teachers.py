"""Tests for treedistill._teachers: teachers that are programs or several models."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from treedistill import TorchExportTeacher
from treedistill.exceptions import TeacherError


@pytest.fixture
def program_of_three_inputs(tmp_path):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    net = torch.nn.Linear(3, 2)
    batch = torch.export.Dim("batch")
    program = torch.export.export(
        net, (torch.zeros(4, 3),), dynamic_shapes={"input": {0: batch}}
    )
    path = tmp_path / "net.pt2"
    torch.export.save(program, str(path))
    return path


def test_a_program_is_checked_against_the_width_of_the_data(program_of_three_inputs):
    path = program_of_three_inputs
    frame = pd.DataFrame(np.ones((4, 9)), columns=[f"x{i}" for i in range(9)])
    teacher = TorchExportTeacher(path, ["a", "b"])
    with pytest.raises(TeacherError) as info:
        teacher.predict_logits(frame)
    assert str(info.value) == (
        f"teacher file {str(path)!r} is a program of 3 input columns, but the data "
        "gives it 9; keep only the columns it was exported for, in its order"
    )
    assert info.value.path == str(path)
    three = TorchExportTeacher(path, ["a", "b"], feature_names=["x4", "x0", "x2"])
    assert three.predict_logits(frame).shape == (4, 2)
