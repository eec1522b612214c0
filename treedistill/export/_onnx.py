"""A student as an ONNX model (``ai.onnx.ml`` tree ensembles), scored by onnxruntime.

The model takes one input per column the student uses, named as the column:
numeric columns as ``tensor(double)`` of shape ``(N, 1)`` (NaN for missing),
categorical columns as ``tensor(string)`` of shape ``(N, 1)`` holding the category's
text (``""`` for missing). Inside, the student's encoding is rebuilt: a 0/1 indicator
per category level (``LabelEncoder``, ``Equal``), NaN when the value is missing, 0 for
a category not seen in training.

- **Tree student**: a ``TreeEnsembleClassifier`` with the tree's splits, missing
  values sent where the tree sends them (``nodes_missing_value_tracks_true``), and
  its leaf distributions; outputs ``label``, ``probabilities`` (float32) and
  ``rule_id`` (the rule number, from a ``TreeEnsembleRegressor`` over the same
  nodes; ``label`` is the class of that rule, ties resolved as ``predict`` does).
- **Boosted student**: the xgboost trees in one ``TreeEnsembleRegressor`` (one
  target per class margin, the base margin as ``base_values``), multiplied by the
  temperature and passed through ``Softmax``; outputs ``label`` (the class of
  the largest float32 probability) and ``probabilities``.

Thresholds are float64 tensors and inputs double, so no value is rounded to
float32 on the way in; where the student itself rounds to float32 (scikit-learn's
trees, xgboost), the split value is the exact float64 cut of that rounding
(``_export_common.float32_cut``): a value next to a threshold goes the same way
as in the student.
"""

from __future__ import annotations

import numpy as np

from treedistill.exceptions import DataError
from treedistill.export._common import (
    BoostedSpec,
    TreeSpec,
    boosted_spec,
    float32_cut,
    student_kind,
    tree_spec,
)
from treedistill.export._flag import resolve_flag

__all__ = ["ONNX_OPSET", "to_onnx"]

#: Opsets of the models written: default domain, ``ai.onnx.ml``.
ONNX_OPSET = {"": 17, "ai.onnx.ml": 3}
MISSING_CATEGORY = ""


class _Graph:
    """Collects nodes, constants, inputs and outputs of one ONNX graph."""

    def __init__(self):
        from onnx import TensorProto, helper, numpy_helper

        self.helper = helper
        self.tp = TensorProto
        self.nh = numpy_helper
        self.nodes: list = []
        self.inits: list = []
        self.inputs: list = []
        self.outputs: list = []
        self._n = 0

    def name(self, stem: str) -> str:
        self._n += 1
        return f"{stem}_{self._n}"

    def const(self, array: np.ndarray, stem: str = "const") -> str:
        name = self.name(stem)
        self.inits.append(self.nh.from_array(np.asarray(array), name))
        return name

    def op(self, op_type: str, inputs: list[str], n_out: int = 1, **attrs) -> list:
        domain = attrs.pop("domain", "")
        outs = [self.name(op_type.lower()) for _ in range(n_out)]
        self.nodes.append(
            self.helper.make_node(op_type, inputs, outs, domain=domain, **attrs)
        )
        return outs

    def input(self, name: str, elem) -> str:
        self.inputs.append(self.helper.make_tensor_value_info(name, elem, [None, 1]))
        return name

    def output(self, source: str, name: str, elem, shape: list) -> None:
        self.nodes.append(self.helper.make_node("Identity", [source], [name]))
        self.outputs.append(self.helper.make_tensor_value_info(name, elem, shape))

    def model(self, doc: str, metadata: dict):
        import onnx

        graph = self.helper.make_graph(
            self.nodes, "treedistill_student", self.inputs, self.outputs, self.inits
        )
        model = self.helper.make_model(
            graph,
            opset_imports=[
                self.helper.make_opsetid(d, v) for d, v in ONNX_OPSET.items()
            ],
            producer_name="treedistill",
            doc_string=doc,
        )
        model.ir_version = 8
        onnx.helper.set_model_props(model, {k: str(v) for k, v in metadata.items()})
        onnx.checker.check_model(model, full_check=True)
        return model


def _features(g: _Graph, schema, used: list[int]) -> str:
    """Inputs and the encoding of the used features, as one (N, len(used)) double."""
    columns: dict[str, list[int]] = {}
    for j in used:
        columns.setdefault(schema.features[j].column, []).append(j)
    order = {c.name: i for i, c in enumerate(schema.columns)}
    pieces: dict[int, str] = {}  # first feature index -> (N, m) tensor
    for col in sorted(columns, key=order.get):
        feats = columns[col]
        info = schema.column(col)
        if not info.is_categorical:
            pieces[feats[0]] = g.input(col, g.tp.DOUBLE)
            continue
        x = g.input(col, g.tp.STRING)
        levels = [str(schema.features[j].level) for j in feats]
        if MISSING_CATEGORY in (str(lv) for lv in info.levels):
            raise DataError(
                f"column {col!r} has the empty text as a category, which the ONNX "
                "model reads as a missing value",
                column=col,
            )
        keys, codes_of = _level_keys([schema.features[j].level for j in feats], info)
        (codes,) = g.op(
            "LabelEncoder",
            [x],
            domain="ai.onnx.ml",
            keys_strings=[*keys, MISSING_CATEGORY],
            values_int64s=[*codes_of, -2],
            default_int64=-1,
        )
        (hit,) = g.op("Equal", [codes, g.const(np.arange(len(levels), dtype=np.int64))])
        (ind,) = g.op("Cast", [hit], to=g.tp.DOUBLE)
        (miss,) = g.op("Equal", [codes, g.const(np.array([-2], dtype=np.int64))])
        (ind,) = g.op("Where", [miss, g.const(np.array([np.nan])), ind])
        pieces[feats[0]] = ind
    if len(pieces) == 1:
        return next(iter(pieces.values()))
    (X,) = g.op("Concat", [pieces[k] for k in sorted(pieces)], axis=1)
    return X


def _spellings(level) -> list[str]:
    """The texts that stand for ``level``: its own, and for a number-coded level
    the other spelling a table writes (``7`` and ``7.0``), as ``predict`` reads
    both."""
    if isinstance(level, np.generic):
        level = level.item()
    if isinstance(level, bool) or not isinstance(level, (int, float)):
        return [str(level)]
    value = float(level)
    texts = [str(level), repr(value)]
    if value.is_integer():
        texts.append(str(int(value)))
    return list(dict.fromkeys(texts))


def _level_keys(levels: list, info) -> tuple[list[str], list[int]]:
    """LabelEncoder keys and codes: each level's spellings (a spelling that two
    levels share, or that is another level's own text, stays with its own)."""
    own = {str(lv) for lv in info.levels}
    keys, codes = [], []
    for code, level in enumerate(levels):
        for i, text in enumerate(_spellings(level)):
            if text in keys or (i > 0 and text in own):
                continue
            keys.append(text)
            codes.append(code)
    return keys, codes


def _used_order(schema, used: set[int]) -> list[int]:
    """Used feature indices in the order ``_features`` lays them out."""
    order = {c.name: i for i, c in enumerate(schema.columns)}
    return sorted(used, key=lambda j: (order[schema.features[j].column], j))


def _node_attrs(trees: list[dict], position: dict[int, int]) -> dict:
    """The ``nodes_*`` attributes of a tree ensemble; ``trees`` in TreeSpec form."""
    from onnx import numpy_helper

    a: dict[str, list] = {
        k: []
        for k in (
            "treeids",
            "nodeids",
            "featureids",
            "modes",
            "truenodeids",
            "falsenodeids",
            "missing",
            "values",
        )
    }
    for t, tree in enumerate(trees):
        for node in range(len(tree["left"])):
            leaf = tree["left"][node] == -1
            a["treeids"].append(t)
            a["nodeids"].append(node)
            a["featureids"].append(0 if leaf else position[int(tree["feature"][node])])
            a["modes"].append("LEAF" if leaf else "BRANCH_LEQ")
            a["truenodeids"].append(0 if leaf else int(tree["left"][node]))
            a["falsenodeids"].append(0 if leaf else int(tree["right"][node]))
            a["missing"].append(0 if leaf else int(tree["missing_left"][node]))
            a["values"].append(0.0 if leaf else float(tree["cut"][node]))
    return {
        "nodes_treeids": a["treeids"],
        "nodes_nodeids": a["nodeids"],
        "nodes_featureids": a["featureids"],
        "nodes_modes": a["modes"],
        "nodes_truenodeids": a["truenodeids"],
        "nodes_falsenodeids": a["falsenodeids"],
        "nodes_missing_value_tracks_true": a["missing"],
        "nodes_values_as_tensor": numpy_helper.from_array(
            np.asarray(a["values"], dtype=np.float64)
        ),
    }


def _class_constant(g: _Graph, labels: list) -> tuple[str, int]:
    if all(isinstance(c, str) for c in labels):
        return g.const(np.array(labels, dtype=object)), g.tp.STRING
    if all(isinstance(c, int) and not isinstance(c, bool) for c in labels):
        return g.const(np.array(labels, dtype=np.int64)), g.tp.INT64
    return g.const(np.array([str(c) for c in labels], dtype=object)), g.tp.STRING


def _tree_graph(spec: TreeSpec, flag=None):
    from onnx import numpy_helper

    g = _Graph()
    inner = spec.left != -1
    used = _used_order(spec.schema, {int(f) for f in spec.feature[inner]})
    if not used:  # a single leaf: still take the first column as input
        used = [0]
    position = {j: i for i, j in enumerate(used)}
    X = _features(g, spec.schema, used)
    tree = {
        "left": spec.left,
        "right": spec.right,
        "feature": spec.feature,
        "cut": spec.cut,
        "missing_left": spec.missing_left,
    }
    nodes = _node_attrs([tree], position)
    leaves = spec.leaves()
    k = len(spec.classes)
    _, proba = g.op(
        "TreeEnsembleClassifier",
        [X],
        n_out=2,
        domain="ai.onnx.ml",
        classlabels_int64s=list(range(k)),
        class_treeids=[0] * (k * len(leaves)),
        class_nodeids=[leaf for leaf in leaves for _ in range(k)],
        class_ids=list(range(k)) * len(leaves),
        class_weights_as_tensor=numpy_helper.from_array(
            np.concatenate([spec.value[leaf] for leaf in leaves]).astype(np.float64)
        ),
        post_transform="NONE",
        **nodes,
    )
    (rule,) = g.op(
        "TreeEnsembleRegressor",
        [X],
        domain="ai.onnx.ml",
        n_targets=1,
        target_treeids=[0] * len(leaves),
        target_nodeids=leaves,
        target_ids=[0] * len(leaves),
        target_weights_as_tensor=numpy_helper.from_array(
            np.array([spec.rule[leaf] for leaf in leaves], dtype=np.float64)
        ),
        aggregate_function="SUM",
        **nodes,
    )
    (rule,) = g.op("Cast", [rule], to=g.tp.INT64)
    (rule,) = g.op("Reshape", [rule, g.const(np.array([-1], dtype=np.int64))])
    by_rule = [spec.classes[0]] + [spec.prediction(leaf) for leaf in leaves]
    labels, elem = _class_constant(g, by_rule)
    (label,) = g.op("Gather", [labels, rule], axis=0)
    g.output(label, "label", elem, [None])
    g.output(proba, "probabilities", g.tp.FLOAT, [None, k])
    g.output(rule, "rule_id", g.tp.INT64, [None])
    if flag is not None:  # by rule: exactly the leaf's float64 probability
        by_rule = [0] + [flag.leaf(spec.value[leaf]) for leaf in leaves]
        flags = g.const(np.asarray(by_rule, dtype=np.int64), "flag_by_rule")
        (flagged,) = g.op("Gather", [flags, rule], axis=0)
        g.output(flagged, "flagged", g.tp.INT64, [None])
    return g


def _boosted_graph(spec: BoostedSpec, flag=None):
    from onnx import numpy_helper

    g = _Graph()
    trees = []
    for t in spec.trees:
        inner = t["left"] != -1
        # xgboost: float32(x) < split goes left, i.e. float32(x) <= the float32 below
        below = np.nextafter(t["split"], np.float32(-np.inf))
        cut = np.where(inner, float32_cut(below.astype(np.float64)), 0.0)
        trees.append({**t, "cut": cut, "missing_left": t["default_left"]})
    used = {int(f) for t in trees for f in t["feature"][t["left"] != -1]}
    used = _used_order(spec.schema, used) or [0]
    position = {j: i for i, j in enumerate(used)}
    X = _features(g, spec.schema, used)
    n_targets = 1 if spec.n_classes == 2 else spec.n_classes
    tids, nids, gids, weights = [], [], [], []
    for i, t in enumerate(trees):
        for node in np.flatnonzero(t["left"] == -1):
            tids.append(i)
            nids.append(int(node))
            gids.append(t["group"])
            weights.append(float(t["split"][node]))
    (margin,) = g.op(
        "TreeEnsembleRegressor",
        [X],
        domain="ai.onnx.ml",
        n_targets=n_targets,
        target_treeids=tids,
        target_nodeids=nids,
        target_ids=gids,
        target_weights_as_tensor=numpy_helper.from_array(
            np.asarray(weights, dtype=np.float64)
        ),
        base_values_as_tensor=numpy_helper.from_array(
            np.asarray(spec.base_margin, dtype=np.float64)
        ),
        aggregate_function="SUM",
        **_node_attrs(trees, position),
    )
    temp = g.const(np.array([spec.temperature], dtype=np.float32))
    (logits,) = g.op("Mul", [margin, temp])
    if n_targets == 1:
        (zero,) = g.op("Sub", [logits, logits])
        (logits,) = g.op("Concat", [zero, logits], axis=1)
    (proba,) = g.op("Softmax", [logits], axis=1)
    (index,) = g.op("ArgMax", [proba], axis=1, keepdims=0)
    labels, elem = _class_constant(g, spec.classes)
    (label,) = g.op("Gather", [labels, index], axis=0)
    g.output(label, "label", elem, [None])
    g.output(proba, "probabilities", g.tp.FLOAT, [None, spec.n_classes])
    if flag is not None:  # the float32 probability against the threshold
        column = g.const(np.array(flag.index, dtype=np.int64), "flag_class")
        (p,) = g.op("Gather", [proba, column], axis=1)
        cut = g.const(np.array(flag.threshold, dtype=np.float32), "flag_cut")
        (flagged,) = g.op("GreaterOrEqual", [p, cut])
        (flagged,) = g.op("Cast", [flagged], to=g.tp.INT64)
        g.output(flagged, "flagged", g.tp.INT64, [None])
    return g


def to_onnx(model, *, flag_threshold: float | None = None, positive_class=None):
    """The student as an ONNX model (``onnx.ModelProto``) for onnxruntime.

    Parameters
    ----------
    model : fitted DistilledTreeClassifier or DistilledBoostingClassifier, or a
        saved student (``StudentBundle``)

    Returns
    -------
    onnx.ModelProto
        Inputs: one per column the student uses, named as the column; numeric
        columns ``double`` (N, 1) with NaN for missing, categorical columns
        ``string`` (N, 1) with the category's text and ``""`` for missing.
        Outputs: ``label`` (N,), ``probabilities`` (N, n_classes, float32, in the
        order of ``classes_``), for a tree ``rule_id`` (N,) and, with
        ``flag_threshold``, ``flagged`` (N,): 1 where the probability of
        ``positive_class`` (default: the second of two classes) is at least the
        threshold (a tree's by rule, exactly as ``treedistill predict``; a
        boosted student's on its float32 probability). Save it with
        ``onnx.save(model, path)``; the metadata lists ``classes``, the input
        columns and their kinds.

    Raises
    ------
    ParameterError
        Not a fitted treedistill student.
    DataError
        A categorical column with the empty text as a category.
    MissingDependencyError
        The ``onnx`` package is not installed (``pip install 'treedistill[export]'``).

    Examples
    --------
    >>> import onnxruntime as ort  # doctest: +SKIP
    >>> session = ort.InferenceSession(to_onnx(model).SerializeToString())  # doctest: +SKIP
    >>> feeds = {"age": np.array([[71.0]]), "smoker": np.array([["current"]])}  # doctest: +SKIP
    >>> session.run(["probabilities"], feeds)  # doctest: +SKIP
    """
    import json

    from treedistill.common._optional import require

    require("onnx", "export", "the ONNX export")
    if student_kind(model) == "tree":
        spec = tree_spec(model, "onnx")
        flag = resolve_flag(spec.classes, flag_threshold, positive_class)
        g = _tree_graph(spec, flag)
        doc = "treedistill tree student: TreeEnsembleClassifier with rule numbers"
    else:
        spec = boosted_spec(model)
        flag = resolve_flag(spec.classes, flag_threshold, positive_class)
        g = _boosted_graph(spec, flag)
        doc = "treedistill boosted student: xgboost trees as TreeEnsembleRegressor"
    kinds = {i.name: spec.schema.column(i.name).kind for i in g.inputs}
    metadata = {
        "classes": json.dumps([str(c) for c in spec.classes]),
        "inputs": json.dumps(kinds),
        "missing_category": json.dumps(MISSING_CATEGORY),
    }
    return g.model(doc, metadata)
