"""Tests for treedistill.teachers._teacher_files: loading and saving teacher files."""

from __future__ import annotations

import pathlib
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests._files import write
from treedistill import load_teacher, save_teacher
from treedistill.exceptions import ParameterError, TeacherError, TreedistillError


# --------------------------------------------------------------------------- #
# Teachers
# --------------------------------------------------------------------------- #
@pytest.fixture(scope="module")
def mixed_data():
    from treedistill.datasets import make_clinical_cohort

    X, y = make_clinical_cohort(200, missing_rate=0.1, random_state=0)
    return X, y.to_numpy()


@pytest.fixture(scope="module")
def mlp_pair(mixed_data):
    from treedistill.teachers._mlp import MLPTeacher

    X, y = mixed_data
    return [
        MLPTeacher(hidden_layer_sizes=(8,), max_epochs=3, random_state=s).fit(X, y)
        for s in (0, 1)
    ]


def test_mlp_teacher_round_trip(tmp_path, mixed_data, mlp_pair):
    X, _ = mixed_data
    for suffix in (".pt", ".td-teacher"):
        path = save_teacher(mlp_pair[0], tmp_path / f"t{suffix}")
        loaded = load_teacher([path])
        np.testing.assert_array_equal(
            loaded.predict_proba(X), mlp_pair[0].predict_proba(X)
        )
        assert loaded.classes_.tolist() == ["high", "low"]


def test_mlp_ensemble_round_trip_and_several_paths(tmp_path, mixed_data, mlp_pair):
    import torch

    from treedistill.teachers._teachers import EnsembleTeacher

    X, _ = mixed_data
    ens = EnsembleTeacher.from_fitted(mlp_pair, method="geometric", weights=[1, 3])
    path = save_teacher(ens, tmp_path / "ens.pt")
    payload = torch.load(path, weights_only=True)
    assert payload["format"] == "treedistill.EnsembleTeacher"
    assert len(payload["members"]) == 2
    loaded = load_teacher(str(path))
    assert isinstance(loaded, EnsembleTeacher)
    assert loaded.method == "geometric" and loaded.weights == [1.0, 3.0]
    np.testing.assert_allclose(loaded.predict_proba(X), ens.predict_proba(X))

    paths = [save_teacher(t, tmp_path / f"m{i}.pt") for i, t in enumerate(mlp_pair)]
    both = load_teacher(paths, ensemble="arithmetic")
    assert isinstance(both, EnsembleTeacher) and len(both.teachers_) == 2
    expected = EnsembleTeacher.from_fitted(mlp_pair).predict_proba(X)
    np.testing.assert_allclose(both.predict_proba(X), expected)


def test_save_teacher_refuses_other_models(tmp_path):
    from sklearn.linear_model import LogisticRegression

    from treedistill.teachers._mlp import MLPTeacher

    lr = LogisticRegression().fit([[0.0], [1.0]], [0, 1])
    with pytest.raises(
        TreedistillError, match="cannot save a LogisticRegression teacher"
    ):
        save_teacher(lr, tmp_path / "lr.pt")
    with pytest.raises(TreedistillError, match="not fitted"):
        save_teacher(MLPTeacher(), tmp_path / "m.pt")
    assert list(tmp_path.iterdir()) == []


class _Marker:
    """Unpickling this creates a file: proof that code from a pickle ran."""

    def __init__(self, path: Path):
        self.path = path

    def __reduce__(self):
        return (pathlib.Path.touch, (self.path,))


@pytest.mark.parametrize("suffix", [".pkl", ".pickle", ".joblib"])
def test_pickle_is_refused_without_trust(tmp_path, suffix):
    marker = tmp_path / "pwned"
    path = write(tmp_path, f"m{suffix}", pickle.dumps(_Marker(marker)))
    with pytest.raises(ParameterError) as info:
        load_teacher([path])
    assert str(info.value) == (
        f"refusing to unpickle {str(path)!r}: pickle files can run code; set "
        "trust_pickle if you trust this file, or save the model with skops"
    )
    assert info.value.parameter == "trust_pickle"
    assert not marker.exists()
    # the payload is live: trusting the file runs it (and it is no classifier)
    with pytest.raises(TreedistillError, match="holds a NoneType, not a classifier"):
        load_teacher([path], trust_pickle=True)
    assert marker.exists()


def test_torch_file_with_objects_runs_no_code(tmp_path):
    import torch

    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pt"
    torch.save({"format": "treedistill.MLPTeacher", "x": _Marker(marker)}, path)
    with pytest.raises(TreedistillError, match="holds Python objects beyond tensors"):
        load_teacher([path])
    assert not marker.exists()


def test_pickle_loads_when_trusted(tmp_path):
    from sklearn.linear_model import LogisticRegression

    lr = LogisticRegression().fit([[0.0], [1.0], [2.0], [3.0]], ["a", "a", "b", "b"])
    path = write(tmp_path, "m.pkl", pickle.dumps(lr))
    loaded = load_teacher([path], trust_pickle=True)
    assert loaded.classes_.tolist() == ["a", "b"]


def test_skops_allowed_and_refused(tmp_path):
    skops_io = pytest.importorskip("skops.io")
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, StandardScaler

    X = np.arange(40, dtype=float).reshape(20, 2)
    y = np.repeat([0, 1], 10)
    rf = RandomForestClassifier(n_estimators=3, random_state=0).fit(X, y)
    good = tmp_path / "rf.skops"
    skops_io.dump(rf, good)
    loaded = load_teacher([good])
    np.testing.assert_array_equal(loaded.predict_proba(X), rf.predict_proba(X))

    bad = tmp_path / "evil.skops"
    skops_io.dump(make_pipeline(FunctionTransformer(eval), rf), bad)
    with pytest.raises(
        TreedistillError, match="needs type 'builtins.eval'.*refusing to load"
    ):
        load_teacher([bad])

    scaler = tmp_path / "scaler.skops"
    skops_io.dump(StandardScaler().fit(X), scaler)
    with pytest.raises(
        TreedistillError, match="holds a StandardScaler, not a classifier"
    ):
        load_teacher([scaler])


def test_unfitted_model_is_refused(tmp_path):
    skops_io = pytest.importorskip("skops.io")
    from sklearn.linear_model import LogisticRegression

    path = tmp_path / "lr.skops"
    skops_io.dump(LogisticRegression(), path)
    with pytest.raises(TreedistillError, match="not a fitted classifier with classes_"):
        load_teacher([path])


@pytest.mark.parametrize("suffix", [".json", ".ubj"])
def test_xgboost_teacher(tmp_path, suffix):
    import xgboost

    from treedistill.teachers._teachers import teacher_logits

    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    y = (X[:, 0] > 0).astype(int)
    clf = xgboost.XGBClassifier(n_estimators=3, max_depth=2).fit(X, y)
    path = tmp_path / f"m{suffix}"
    clf.save_model(path)
    loaded = load_teacher([path])
    assert loaded.classes_.tolist() == [0, 1]
    np.testing.assert_allclose(teacher_logits(loaded, X), teacher_logits(clf, X))

    relabelled = load_teacher([path], classes="no,yes")
    assert relabelled.classes_.tolist() == ["no", "yes"]
    np.testing.assert_allclose(teacher_logits(relabelled, X), teacher_logits(clf, X))
    assert (
        relabelled.predict(X[:2]).tolist()
        == np.array(["no", "yes"])[clf.predict(X[:2])].tolist()
    )
    with pytest.raises(TreedistillError, match="has 2 classes but classes gives 3"):
        load_teacher([path], classes=["a", "b", "c"])


# --------------------------------------------------------------------------- #
# Teachers as users save them: categorical columns
# --------------------------------------------------------------------------- #
@pytest.fixture(scope="module")
def cohort_as_read(tmp_path_factory):
    """The cohort as prepare_data gives it: categories as object columns of str."""
    from treedistill import prepare_data
    from treedistill.datasets import make_clinical_cohort

    X, y = make_clinical_cohort(300, random_state=0)
    X, y, _ = prepare_data(X.assign(risk=y), "risk")
    return X, y


def _as_category(X: pd.DataFrame) -> pd.DataFrame:
    return X.astype({c: "category" for c in X.columns if X[c].dtype == object})


def test_xgboost_categorical_teacher_gets_its_categories(tmp_path, cohort_as_read):
    import xgboost

    from treedistill.teachers._teachers import teacher_logits

    X, y = cohort_as_read
    clf = xgboost.XGBClassifier(
        n_estimators=5, max_depth=2, enable_categorical=True, tree_method="hist"
    ).fit(_as_category(X), y == "high")
    path = tmp_path / "cat.json"
    clf.save_model(path)
    teacher = load_teacher([path], classes="low,high")
    assert teacher.categories["smoker"] == ["current", "former", "never"]
    margin = clf.predict(_as_category(X), output_margin=True)
    z = teacher_logits(teacher, X)  # object columns, as the run gives them
    np.testing.assert_allclose(z[:, 1] - z[:, 0], margin, rtol=1e-6, atol=1e-6)
    # a level the model never saw is missing for it, not an error
    unseen = X.head(3).assign(smoker="vaping")
    assert np.isfinite(teacher_logits(teacher, unseen)).all()


def test_xgboost_categorical_teacher_without_stored_categories_is_refused(
    tmp_path, monkeypatch, cohort_as_read
):
    import xgboost

    X, y = cohort_as_read
    clf = xgboost.XGBClassifier(
        n_estimators=2, max_depth=2, enable_categorical=True, tree_method="hist"
    ).fit(_as_category(X), y == "high")
    path = tmp_path / "old.json"
    clf.save_model(path)

    def no_categories(self, *args, **kwargs):
        raise AttributeError("get_categories")  # as xgboost before 3.1

    monkeypatch.setattr(xgboost.Booster, "get_categories", no_categories)
    with pytest.raises(TeacherError) as info:
        load_teacher([path])
    assert str(info.value) == (
        f"teacher file {str(path)!r} is an xgboost model trained on categorical "
        "columns ('sex', 'smoker', 'ward') whose categories it does not store; save "
        "it with xgboost 3.1 or later, or as a skops pipeline that encodes them"
    )


def test_skops_pipeline_with_one_hot_encoder_loads_and_scores(tmp_path, cohort_as_read):
    skops_io = pytest.importorskip("skops.io")
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    from treedistill.teachers._teachers import teacher_logits

    X, y = cohort_as_read
    text = [c for c in X.columns if X[c].dtype == object]
    pipe = make_pipeline(
        ColumnTransformer(
            [("cat", OneHotEncoder(handle_unknown="ignore"), text)],
            remainder="passthrough",
        ),
        HistGradientBoostingClassifier(max_iter=5),
    ).fit(X, y)
    path = tmp_path / "pipe.skops"
    skops_io.dump(pipe, path)
    teacher = load_teacher([path])
    np.testing.assert_allclose(
        teacher_logits(teacher, X), teacher_logits(pipe, X), rtol=1e-9
    )


def test_xgboost_regressor_and_foreign_json_are_refused(tmp_path):
    import xgboost

    X = np.arange(20, dtype=float).reshape(10, 2)
    reg = xgboost.XGBRegressor(n_estimators=2).fit(X, np.arange(10.0))
    path = tmp_path / "reg.json"
    reg.get_booster().save_model(path)
    with pytest.raises(
        TreedistillError, match="objective 'reg:squarederror', not a classifier"
    ):
        load_teacher([path])
    other = write(tmp_path, "config.json", '{"hello": 1}')
    with pytest.raises(TreedistillError, match="is not an xgboost classifier model"):
        load_teacher([other])


def test_torch_export_teacher(tmp_path, mixed_data):
    import torch

    from treedistill.teachers._teachers import TorchExportTeacher

    torch.manual_seed(0)
    net = torch.nn.Linear(3, 2)
    batch = torch.export.Dim("batch")
    program = torch.export.export(
        net, (torch.zeros(4, 3),), dynamic_shapes={"input": {0: batch}}
    )
    path = tmp_path / "net.pt2"
    torch.export.save(program, str(path))
    with pytest.raises(TreedistillError, match="a .pt2 teacher needs classes"):
        load_teacher([path])
    teacher = load_teacher([path], classes="0,1", feature_names=["c", "a", "b"])
    assert isinstance(teacher, TorchExportTeacher)
    assert teacher.classes_.tolist() == [0, 1]
    frame = pd.DataFrame({"a": [1.0, 2.0], "b": [0.5, 0.0], "c": [3.0, -1.0]})
    with torch.no_grad():
        expected = net(torch.tensor(frame[["c", "a", "b"]].to_numpy(np.float32)))
    np.testing.assert_allclose(
        teacher.predict_logits(frame), expected.numpy(), rtol=1e-6
    )
    junk = write(tmp_path, "junk.pt2", b"not a program")
    with pytest.raises(TreedistillError, match="is not a torch.export program"):
        load_teacher([junk], classes=["a", "b"])


def test_classes_must_match_the_model(tmp_path, mlp_pair):
    path = save_teacher(mlp_pair[0], tmp_path / "t.pt")
    assert load_teacher([path], classes=["high", "low"]).classes_.tolist() == [
        "high",
        "low",
    ]
    with pytest.raises(
        TreedistillError, match=r"has classes \['high', 'low'\] but classes"
    ):
        load_teacher([path], classes="low,high")


@pytest.mark.parametrize(
    ("name", "content", "kwargs", "message"),
    [
        ("m.h5", b"x", {}, "has an unknown format '.h5'; accepted: .pt/.td-teacher"),
        ("noext", b"x", {}, "has an unknown format '(none)'"),
        (
            "garbage.pt",
            b"not torch",
            {},
            "is not a torch.save file",
        ),
        ("m.skops", b"not a zip", {}, "is not a readable skops file"),
        ("m.json", b"{}", {"ensemble": "median"}, "ensemble must be 'arithmetic'"),
        ("m.json", b"{}", {"classes": "a"}, "classes needs at least 2 classes"),
        ("m.json", b"{}", {"classes": "a,a"}, "classes repeats a class"),
    ],
)
def test_load_teacher_refuses(tmp_path, name, content, kwargs, message):
    path = write(tmp_path, name, content)
    with pytest.raises(TreedistillError) as info:
        load_teacher([path], **kwargs)
    assert message in str(info.value)
    if kwargs:  # a bad parameter, named by its Python name
        assert isinstance(info.value, ParameterError)
        assert info.value.parameter == next(iter(kwargs))
    else:  # a bad file, named by its path
        assert isinstance(info.value, TeacherError)
        assert info.value.path == str(path)


def test_load_teacher_missing_and_empty(tmp_path):
    import torch

    with pytest.raises(
        TreedistillError, match="teacher file '.*gone.pt' does not exist"
    ):
        load_teacher([tmp_path / "gone.pt"])
    with pytest.raises(TreedistillError, match="no teacher file given"):
        load_teacher([])
    path = tmp_path / "dict.pt"
    torch.save({"weights": torch.zeros(2)}, path)
    with pytest.raises(TreedistillError, match="is not a treedistill teacher"):
        load_teacher([path])


# --------------------------------------------------------------------------- #
# teacher_classes: the data label of each of the teacher's outputs
# --------------------------------------------------------------------------- #
def _xgb_01(tmp_path):
    import skops.io as sio
    import xgboost
    from sklearn.datasets import make_classification

    X, y = make_classification(120, n_features=4, random_state=0)
    X = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    model = xgboost.XGBClassifier(n_estimators=5, max_depth=2).fit(X, y)
    sio.dump(model, tmp_path / "xgb.skops")
    model.save_model(tmp_path / "xgb.json")
    return model, X


@pytest.mark.parametrize("name", ["xgb.skops", "xgb.json"])
def test_teacher_classes_relabel_a_teacher_trained_on_other_codes(tmp_path, name):
    from treedistill import DistilledTreeClassifier, load_teacher

    model, X = _xgb_01(tmp_path)
    teacher = load_teacher(tmp_path / name, teacher_classes="1,2")
    assert teacher.classes_.tolist() == [1, 2]
    assert np.allclose(teacher.predict_proba(X), model.predict_proba(X), atol=1e-6)
    assert teacher.predict(X).tolist() == (model.predict(X) + 1).tolist()
    y12 = model.predict(X) + 1
    student = DistilledTreeClassifier(teacher, augment_factor=1, random_state=0).fit(
        X, y12
    )
    assert student.classes_.tolist() == [1, 2]


def test_teacher_classes_must_match_the_outputs_and_not_come_with_classes(tmp_path):
    from treedistill import load_teacher

    _xgb_01(tmp_path)
    with pytest.raises(ParameterError, match="3 labels") as info:
        load_teacher(tmp_path / "xgb.skops", teacher_classes=[1, 2, 3])
    assert info.value.parameter == "teacher_classes"
    with pytest.raises(ParameterError, match="not both"):
        load_teacher(tmp_path / "xgb.skops", teacher_classes=[1, 2], classes=[0, 1])
    with pytest.raises(ParameterError, match="repeats"):
        load_teacher(tmp_path / "xgb.skops", teacher_classes=[1, 1])


def test_a_zip_teacher_unpacking_far_beyond_its_size_is_refused_before_loading(
    tmp_path,
):
    import zipfile

    from treedistill.teachers._teacher_files import MIN_INFLATION_BYTES

    bomb = tmp_path / "bomb.skops"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("schema.json", "{}")
        archive.writestr("big.npy", b"\0" * (MIN_INFLATION_BYTES + 1))
    with pytest.raises(TeacherError, match="bomb.skops.*unpacks to 67,108,8") as e:
        load_teacher(bomb)
    assert "100 times its size" in str(e.value)
