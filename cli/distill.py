"""``treedistill distill`` and ``treedistill demo``."""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path

import click

from treedistill.cli._common import (
    StageProgress,
    config_callback,
    echo,
    out_option,
    print_json,
    quiet_warnings,
    split_list,
    target_option,
    warn,
)
from treedistill.distill._choices import HELP_DEFAULTS, OBJECTIVES, SEARCHES
from treedistill.distill._options import (
    AUGMENTATIONS,
    CRITERIA,
    ENSEMBLE_METHODS,
    STUDENT_KINDS,
    DistillParams,
)


def parse_class_names(value) -> dict[str, str] | None:
    """``"0=no stroke,1=stroke"`` (or a TOML table) as ``{"0": "no stroke", ...}``."""
    if value is None:
        return None
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items()}
    out = {}
    for item in split_list(value, "--class-names"):
        label, sep, name = item.partition("=")
        if not sep or not label.strip() or not name.strip():
            raise click.UsageError(f"--class-names items read LABEL=NAME, got {item!r}")
        if label.strip() in out:
            raise click.UsageError(
                f"--class-names names the label {label.strip()!r} twice "
                f"({out[label.strip()]!r} and {name.strip()!r}); give each label once"
            )
        out[label.strip()] = name.strip()
    return out


class LeafBudget(click.types.IntParamType):
    """A whole number of leaves, or ``auto``."""

    name = "integer or auto"
    words = ("auto",)

    def convert(self, value, param, ctx):
        if isinstance(value, str) and value.strip().lower() == "auto":
            return "auto"
        return super().convert(value, param, ctx)


def parse_monotone(value) -> dict[str, int] | None:
    """``"age:+1,egfr:-1"`` (or a TOML table) as ``{"age": 1, "egfr": -1}``."""
    if value is None:
        return None
    items = value.items() if isinstance(value, dict) else None
    if items is None:
        items = []
        for item in split_list(value, "--monotone"):
            column, sep, direction = item.rpartition(":")
            if not sep or not column.strip():
                raise click.UsageError(
                    f"--monotone items read COLUMN:+1 or COLUMN:-1, got {item!r}"
                )
            items.append((column, direction))
    out = {}
    for column, direction in items:
        text = str(direction).strip()
        if text not in ("1", "+1", "-1"):
            raise click.UsageError(
                f"--monotone: the direction of {str(column).strip()!r} must be +1 "
                f"or -1, got {text!r}"
            )
        if str(column).strip() in out:
            raise click.UsageError(
                f"--monotone names the column {str(column).strip()!r} twice"
            )
        out[str(column).strip()] = int(text)
    return out


DEMO_DIR = "treedistill-demo"
DEMO_ROWS = 2000
_FIELDS = {f.name: f for f in dataclasses.fields(DistillParams)}
TREE, BOOSTED = HELP_DEFAULTS["tree"], HELP_DEFAULTS["boosted"]


def default(name: str):
    """The library's default of a run parameter."""
    return _FIELDS[name].default


def _run(params: DistillParams, *, quiet: bool, as_json: bool) -> None:
    from treedistill import run_distill

    with StageProgress(quiet) as progress:
        result = run_distill(params, progress=progress)
    for note in result.warnings:
        warn(note, quiet)
    if as_json:
        print_json(result.summary())
    else:
        echo(result.describe(), quiet)


@click.command(
    epilog="""\b
Example:
  treedistill distill data/clinical_cohort_3class.csv --target risk \\
      --student both --subgroup ward --out cohort-run
  treedistill distill data.csv --target outcome --teacher model.skops \\
      --max-leaf-nodes 8 --sweep --out run1 --json
  treedistill distill 'cohort/*.parquet' --target outcome --dask local \\
      --out run2"""
)
@click.argument("data", type=click.Path(), required=True)
@target_option
@out_option(
    "DIR",
    "Run directory to create (refused if it exists and is not empty, unless --force).",
    directory=True,
)
@click.option(
    "--teacher",
    multiple=True,
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="Fitted teacher file (.pt from train-teacher, .skops, xgboost .json/.ubj, "
    ".pt2, or a pickle with --trust-pickle). Repeat for an ensemble. Without it a "
    "default MLP teacher is trained on the training rows.",
)
@click.option(
    "--ensemble-method",
    type=click.Choice(ENSEMBLE_METHODS),
    default=default("ensemble_method"),
    show_default=True,
    help="How several --teacher files are combined.",
)
@click.option(
    "--classes",
    metavar="A,B",
    help="Class labels in the order of the teacher's outputs (needed for .pt2).",
)
@click.option(
    "--teacher-classes",
    metavar="A,B",
    help="The data label each of the teacher's outputs means, in output order: "
    "1,2 for a teacher trained on 0/1 used on a target coded 1/2 (any teacher "
    "format; the report, predict and exports then speak the data's labels).",
)
@click.option(
    "--trust-pickle",
    is_flag=True,
    help="Allow loading pickle teacher files (they can run code: only your own).",
)
@click.option(
    "--temperature",
    type=float,
    default=None,
    help="Softening temperature T > 0. Default: each student's own "
    f"(tree {TREE['temperature']:g}, boosted {BOOSTED['temperature']:g}).",
)
@click.option(
    "--alpha",
    type=float,
    default=default("alpha"),
    show_default=True,
    help="Weight of the true label in the soft target, in [0, 1].",
)
@click.option(
    "--augmentation",
    type=click.Choice(AUGMENTATIONS),
    default=default("augmentation"),
    show_default=True,
    help="How extra rows for the transfer set are drawn.",
)
@click.option(
    "--augment-factor",
    type=float,
    default=None,
    help="Extra rows as a multiple of the training rows, in [0, 1000]. Default: "
    "each student's own (tree: 20 from 400 training rows up, fewer rows get more, "
    "up to 200, to reach 20,000 transfer rows; boosted "
    f"{BOOSTED['augment_factor']:g}). A number is used at any size.",
)
@click.option(
    "--student",
    type=click.Choice(STUDENT_KINDS),
    default=default("student"),
    show_default=True,
    help="Which student(s) to fit.",
)
@click.option(
    "--max-leaf-nodes",
    type=LeafBudget(),
    default=None,
    metavar="N|auto",
    help=f"Leaves of the tree student (>= 2). Default {default('max_leaf_nodes')}, "
    "or no leaf limit when only --max-depth is given. 'auto' picks the smallest "
    "of 2..64 leaves within 1 point of the best held-out agreement (20% of the "
    "training rows held out), recorded in the report.",
)
@click.option("--max-depth", type=int, default=None, help="Depth limit of the tree.")
@click.option(
    "--objective",
    type=click.Choice(OBJECTIVES),
    default=default("objective"),
    show_default=True,
    help="What the tree student is built for: 'agreement' (the teacher's class as "
    "often as possible: splits on the teacher's class), 'ranking' (the teacher's "
    "risk order and flags: splits on its softened probabilities), or 'auto' "
    "(ranking for a binary outcome whose rarer class is under 20% of the "
    "training rows, agreement otherwise). The report says which and why.",
)
@click.option(
    "--search",
    type=click.Choice(SEARCHES),
    default=default("search"),
    show_default=True,
    help="How the tree is searched for: 'greedy' (best-first growth), 'prune' "
    "(grow to 4x the leaf budget, cut back exactly to the subtree of the budget "
    "with the least loss), 'tao' (that tree for agreement, the greedy one for "
    "ranking, refined by TAO: a little more agreement, slower reports), or 'auto' "
    "(prune for the agreement objective, greedy for ranking).",
)
@click.option(
    "--criterion",
    type=click.Choice(CRITERIA),
    default=default("criterion"),
    show_default=True,
    help="Split criterion of the tree student (soft cross-entropy or soft Gini).",
)
@click.option(
    "--chunk-size",
    type=click.IntRange(min=1),
    default=None,
    metavar="ROWS",
    help="Build the tree student's transfer set ROWS rows at a time (kept on "
    "disk) and grow the tree from per-chunk histograms: memory bounded by the "
    "chunk. Default: all in memory.",
)
@click.option(
    "--weight-column",
    metavar="COL",
    default=None,
    help="Column of non-negative row weights (survey, case-control, inverse-"
    "probability): not a feature; weights the trained teacher, the students and "
    "the report's weighted fidelity table. Not with --chunk-size, --sweep, --dask.",
)
@click.option(
    "--monotone",
    "monotone_constraints",
    metavar="COL:+1,COL:-1",
    default=None,
    help="Monotone constraints: the students' risk only rises (+1) or falls (-1) "
    "along each numeric column named (two classes). The report adds what they "
    "cost and where the teacher breaks them.",
)
@click.option(
    "--n-estimators",
    type=int,
    default=default("n_estimators"),
    show_default=True,
    help="Boosting rounds of the boosted student.",
)
@click.option(
    "--boost-depth",
    type=int,
    default=default("boost_depth"),
    show_default=True,
    help="Depth of each boosted tree.",
)
@click.option(
    "--test-size",
    type=float,
    default=default("test_size"),
    show_default=True,
    help="Share of rows held out (stratified) for the report.",
)
@click.option(
    "--seed", type=int, default=default("seed"), show_default=True, help="Random seed."
)
@click.option(
    "--drop", multiple=True, metavar="COL", help="Column to leave out (repeatable)."
)
@click.option(
    "--keep",
    multiple=True,
    metavar="COL",
    help="Identifier-like column to keep as a feature (repeatable; such columns "
    "are left out by default).",
)
@click.option(
    "--row-id",
    metavar="COL",
    default=None,
    help="Column of unique row identifiers: held_out_rows.csv lists the held-out "
    "rows by it, and it is not a feature. Default: row numbers from 1.",
)
@click.option(
    "--many-classes",
    is_flag=True,
    help="Accept a target with few rows per class (otherwise refused as a number "
    "to predict rather than class labels).",
)
@click.option(
    "--categorical",
    "categorical_features",
    metavar="COLS",
    default=None,
    help="Columns to treat as categories whatever their type, comma-separated "
    "(coded columns such as thal,cp).",
)
@click.option(
    "--class-names",
    metavar="LABEL=NAME,...",
    default=None,
    help="Names of the classes in the rules, in display order "
    "('0=no stroke,1=stroke'); a binary leaf then reads 'stroke risk 2%'.",
)
@click.option(
    "--class-order",
    metavar="LABELS",
    default=None,
    help="Display order of the classes, comma-separated (high,medium,low).",
)
@click.option(
    "--subgroup",
    multiple=True,
    metavar="COL",
    help="Column to audit agreement by (repeatable; default: every categorical "
    "column); a named column also gets performance and fairness per group "
    "(binary outcomes).",
)
@click.option(
    "--sweep",
    is_flag=True,
    help="Choose temperature (0.25, 1, 2, 4) and alpha (0, 0.3) by agreement with the "
    "teacher on a validation split of the training rows.",
)
@click.option(
    "--positive-class",
    metavar="LABEL",
    default=None,
    help="Class whose rows are flagged in the report's operating points (binary "
    "targets). Default: the minority class of the training rows.",
)
@click.option(
    "--threshold",
    type=float,
    default=default("threshold"),
    show_default=True,
    help="Operating point: a row is flagged when P(positive) >= this, in (0, 1).",
)
@click.option(
    "--flag-rate",
    type=float,
    default=None,
    help="Operating point: each model flags its own top share of rows, in (0, 1). "
    "Default: the training prevalence of the positive class.",
)
@click.option(
    "--skip",
    metavar="SECTIONS",
    default=None,
    help="Comma-separated report sections to leave out, for a faster run: shap, "
    "size-curve, stability.",
)
@click.option(
    "--stability-refits",
    type=int,
    metavar="N",
    default=default("stability_refits"),
    show_default=True,
    help="Refit the tree on up to N bootstrap resamples of the training rows to "
    "show how stable its splits and fidelity are (in batches of 5, stopping after "
    "at least 10 once a batch moves no root column's share by more than 5 "
    "points); 0 turns the section off.",
)
@click.option(
    "--include-values",
    is_flag=True,
    help="Show raw feature values of disagreeing rows in the report (off: row "
    "numbers only).",
)
@click.option(
    "--config",
    type=click.Path(dir_okay=False),
    metavar="FILE.toml",
    is_eager=True,
    callback=config_callback,
    help="TOML file with any of these options (keys = long option names, at top "
    "level or in [distill]); command-line options override it; relative paths are "
    "read from the file's folder.",
)
@click.option(
    "--dask",
    metavar="local|ADDRESS",
    default=None,
    help="Run on a Dask cluster: 'local' starts one on this machine (and closes "
    "it), or a scheduler address such as tcp://host:8786. DATA may then be a "
    "Parquet dataset folder or a quoted glob of Parquet/CSV files. Needs "
    "pip install 'treedistill[dask]'.",
)
@click.option("--force", is_flag=True, help="Replace an existing --out directory.")
@click.option("--quiet", is_flag=True, help="Print nothing but errors.")
@click.option(
    "--json", "as_json", is_flag=True, help="Print one JSON summary object on stdout."
)
def distill(data, as_json, **kw) -> None:
    """Distil a teacher into a small decision tree (and/or boosted trees) and
    write a fidelity report to a run directory.

    DATA is a CSV or Parquet table (with --dask also a Parquet dataset folder
    or a quoted glob of Parquet/CSV files, read partition by partition on the
    cluster). Rows are split (stratified, seeded) into
    training and test rows; the teacher is the given file(s) or an MLP trained
    on the training rows; the students learn the teacher's softened predictions;
    the report measures on the test rows how faithfully they reproduce it.
    Categorical columns and missing values need no preparation.

    The run directory holds report.html/.json/.md, rules.txt, student.json (or
    student-tree.json and student-boosted.json), config.json, timings.json,
    held_out_rows.csv and, when the run trained its teacher, teacher.pt.
    Identifier-like columns are left out (--keep to keep one); they and possible
    target leaks are reported before training.
    It is written completely or not at all.
    """
    quiet = kw.pop("quiet")
    kw.pop("config")
    quiet_warnings(quiet)
    if kw["dask"] is None and Path(data).is_dir():
        raise click.UsageError(
            f"DATA {data!r} is a folder; a Parquet dataset folder is read with --dask"
        )
    if kw["max_leaf_nodes"] is None and kw["max_depth"] is None:
        kw["max_leaf_nodes"] = default("max_leaf_nodes")
    params = DistillParams(
        data=data,
        classes=split_list(kw.pop("classes"), "--classes"),
        teacher_classes=split_list(kw.pop("teacher_classes"), "--teacher-classes"),
        teacher=list(kw.pop("teacher")),
        drop=list(kw.pop("drop")),
        keep=list(kw.pop("keep")),
        subgroup=list(kw.pop("subgroup")),
        categorical_features=split_list(kw.pop("categorical_features"), "--categorical")
        or (),
        class_names=parse_class_names(kw.pop("class_names")),
        monotone_constraints=parse_monotone(kw.pop("monotone_constraints")),
        class_order=split_list(kw.pop("class_order"), "--class-order"),
        skip=split_list(kw.pop("skip"), "--skip") or [],
        **kw,
    )
    _run(params, quiet=quiet, as_json=as_json)


@click.command(
    epilog=f"""\b
Example:
  treedistill demo
  treedistill demo --out /tmp/demo --force
  open {DEMO_DIR}/report.html"""
)
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    default=DEMO_DIR,
    show_default=True,
    metavar="DIR",
    help="Run directory to create.",
)
@click.option("--force", is_flag=True, help="Replace an existing --out directory.")
@click.option("--quiet", is_flag=True, help="Print nothing but errors.")
@click.option(
    "--json", "as_json", is_flag=True, help="Print one JSON summary object on stdout."
)
def demo(out, force, quiet, as_json) -> None:
    """Run the whole job on bundled data: no arguments needed.

    Simulates a cohort of 2000 patients whose risk follows a known depth-3 rule
    (integer, float and categorical columns, 5% missing values), trains the
    default MLP teacher, distils it into a tree and a boosted student, and writes
    the report. The data file is kept in the run directory under inputs/.
    """
    from treedistill.datasets import make_clinical_cohort
    from treedistill.runs._outdir import check_out_dir

    quiet_warnings(quiet)
    check_out_dir(out, force, replaces=("run", "report"))
    X, y = make_clinical_cohort(DEMO_ROWS, missing_rate=0.05, random_state=0)
    frame = X.assign(**{y.name: y})
    with tempfile.TemporaryDirectory(prefix="treedistill-demo-") as tmp:
        data = Path(tmp) / "clinical_cohort.csv"
        frame.to_csv(data, index=False)
        params = DistillParams(
            data=data,
            target=str(y.name),
            out=out,
            student="both",
            seed=0,
            force=force,
            copy_data=True,
        )
        _run(params, quiet=quiet, as_json=as_json)
