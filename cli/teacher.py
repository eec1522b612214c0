"""``treedistill train-teacher``."""

from __future__ import annotations

from pathlib import Path

import click

from treedistill.cli._common import (
    StageProgress,
    echo,
    out_option,
    parse_int_list,
    quiet_warnings,
    target_option,
    warn,
)
from treedistill.teachers._train import DEFAULT_HIDDEN, DEFAULT_MAX_EPOCHS


@click.command(
    "train-teacher",
    epilog="""\b
Example:
  treedistill train-teacher train.csv --target outcome --out teacher.pt
  treedistill train-teacher train.csv --target outcome --ensemble 5 \\
      --hidden 128,64 --max-epochs 100 --out ensemble.pt
  treedistill distill test.csv --target outcome --teacher teacher.pt --out run1""",
)
@click.argument("data", type=click.Path(dir_okay=False))
@target_option
@out_option("FILE", "Teacher file to write (refused if it exists, unless --force).")
@click.option(
    "--drop", multiple=True, metavar="COL", help="Column to leave out (repeatable)."
)
@click.option(
    "--many-classes",
    is_flag=True,
    help="Accept a target with few rows per class (otherwise refused as a number "
    "to predict rather than class labels).",
)
@click.option(
    "--seed",
    type=click.IntRange(0, 2**32 - 1),
    default=0,
    show_default=True,
    help="Random seed (0 to 2**32 - 1).",
)
@click.option(
    "--ensemble",
    type=int,
    default=1,
    show_default=True,
    metavar="N",
    help="Train N MLPs with seeds seed, seed+1, ... and save them as one ensemble.",
)
@click.option(
    "--hidden",
    default=",".join(str(w) for w in DEFAULT_HIDDEN),
    show_default=True,
    metavar="W1,W2,...",
    help="Widths of the hidden layers.",
)
@click.option(
    "--max-epochs",
    type=int,
    default=DEFAULT_MAX_EPOCHS,
    show_default=True,
    help="Most passes over the data (early stopping usually ends sooner).",
)
@click.option("--force", is_flag=True, help="Replace an existing --out file.")
@click.option("--quiet", is_flag=True, help="Print nothing but errors.")
def train_teacher(
    data,
    target,
    out,
    drop,
    many_classes,
    seed,
    ensemble,
    hidden,
    max_epochs,
    force,
    quiet,
) -> None:
    """Train the default MLP teacher (or an ensemble of them) on DATA and save it
    without pickle.

    All rows of DATA are used (the MLP holds out 15% of them for early
    stopping). To keep the report's test rows unseen by the teacher, train it on
    other rows than the ones you distil and evaluate on, or let `distill` train
    it on its own training split.
    """
    from treedistill import prepare_data, read_table, save_teacher
    from treedistill.runs._outdir import check_out_file, publish_file, temporary_sibling
    from treedistill.teachers._train import check_training
    from treedistill.teachers._train import train_teacher as train

    quiet_warnings(quiet)
    widths = parse_int_list(hidden, "--hidden")
    training = dict(
        n_members=ensemble,
        hidden_layer_sizes=widths,
        max_epochs=max_epochs,
        random_state=seed,
    )
    check_training(**training)
    out = check_out_file(out, force, keep=[data])
    data = Path(data)
    X, y, summary = prepare_data(
        read_table(data),
        target,
        drop=tuple(drop),
        source=data.name,
        many_classes=many_classes,
        drop_identifiers=False,  # kept and warned about, as before
    )
    for note in summary.get("warnings", []):
        warn(note, quiet)
    with StageProgress(quiet) as progress:
        teacher = train(X, y, **training, progress=progress)
    members = getattr(teacher, "teachers_", [teacher])
    tmp = temporary_sibling(out)
    try:
        save_teacher(teacher, tmp)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    publish_file(tmp, out, force=force)

    classes = ", ".join(str(c) for c in members[0].classes_)
    epochs = ", ".join(str(m.n_iter_) for m in members)
    what = "MLP teacher" if ensemble == 1 else f"ensemble of {ensemble} MLP teachers"
    echo(
        f"trained {what} on {len(y)} rows ({X.shape[1]} columns; classes: "
        f"{classes}; epochs run: {epochs}); saved to {out}",
        quiet,
    )
