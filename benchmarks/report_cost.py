"""What the report costs: each stage of ``treedistill distill`` with every section on.

For each data set the command line runs in a fresh process (``--seed 0``, the
default teacher, every report section) and its ``timings.json`` gives the time of
each stage. The table shows the share of the run spent on the evaluation (every
number of the report: fidelity, size curve, SHAP, stability), the part the
analyst waits for beyond reading, the teacher, the students and writing.

Start-up: ``treedistill --help`` and a bad-option error, median of 5 runs, as a
ratio to ``python -c "import click"`` timed in the same way.

Data: the five clinical CSVs in ``../shared/datasets`` (skipped with a note when
the folder is absent) and a simulated cohort of ``--rows`` patients
(``treedistill.datasets.make_clinical_cohort``, 100,000 by default).

``--checkout DIR`` runs another checkout of treedistill (an earlier commit, say)
with this environment's packages, to compare before and after on one machine in
one sitting.

Usage::

    python benchmarks/report_cost.py [--quick] [--rows 100000] [--label now]
                                     [--checkout DIR] [--out reports/benchmarks]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, command_line, markdown_table, versions  # noqa: E402

SHARED = REPO.parent / "shared" / "datasets"
#: file -> target column
SETS = {
    "pima_diabetes.csv": "Outcome",
    "heart_failure_clinical_records.csv": "DEATH_EVENT",
    "chronic_kidney_disease.csv": "classification",
    "hypothyroid.csv": "Target",
    "thyroid0387.csv": "Target",
}
STAGES = ("read data", "teacher", "students", "evaluate", "write")

_RUN = """
import importlib.util, sys
checkout = sys.argv.pop(1)
if checkout:
    from pathlib import Path
    sys.path.insert(0, checkout)
    import treedistill
    cli_dir = Path(checkout) / "cli"
    spec = importlib.util.spec_from_file_location(
        "treedistill.cli", cli_dir / "__init__.py",
        submodule_search_locations=[str(cli_dir)])
    module = importlib.util.module_from_spec(spec)
    sys.modules["treedistill.cli"] = module
    spec.loader.exec_module(module)
from treedistill.cli.main import cli
sys.argv[0] = "treedistill"
cli()
"""


def _treedistill(args: list[str], checkout: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", _RUN, checkout, *args],
        capture_output=True,
        text=True,
    )


def _seconds(cmd: list[str], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(cmd, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def startup(checkout: str, repeats: int) -> dict:
    """Median seconds of --help and a bad option, and of importing click."""
    base = [sys.executable, "-c", _RUN, checkout]
    click_s = _seconds([sys.executable, "-c", "import click"], repeats)
    help_s = _seconds([*base, "--help"], repeats)
    bad_s = _seconds([*base, "distill", "--no-such-option"], repeats)
    return {
        "import_click_s": round(click_s, 3),
        "help_s": round(help_s, 3),
        "bad_option_s": round(bad_s, 3),
        "help_ratio": round(help_s / click_s, 1),
        "bad_option_ratio": round(bad_s / click_s, 1),
    }


def _cohort_csv(rows: int, folder: Path) -> Path:
    from treedistill.datasets import make_clinical_cohort

    X, y = make_clinical_cohort(rows, random_state=0, missing_rate=0.05)
    path = folder / f"cohort_{rows}.csv"
    X.assign(risk=y).to_csv(path, index=False)
    return path


def run_one(name: str, data: Path, target: str, checkout: str, folder: Path) -> dict:
    out = folder / f"run-{name}"
    proc = _treedistill(
        [
            "distill",
            str(data),
            "--target",
            target,
            "--out",
            str(out),
            "--seed",
            "0",
            "--quiet",
        ],
        checkout,
    )
    if proc.returncode != 0:
        return {"data": name, "error": (proc.stderr or proc.stdout).strip()[-300:]}
    timings = json.loads((out / "timings.json").read_text())["stages_seconds"]
    report = json.loads((out / "report.json").read_text())
    students = sum(v for k, v in timings.items() if k.endswith("student"))
    row = {
        "data": name,
        "rows": int(report["data"]["n_train"]) + int(report["data"]["n_test"]),
        "read data": timings.get("read data", 0.0),
        "teacher": timings.get("teacher", 0.0),
        "students": students,
        "evaluate": timings.get("evaluate", 0.0),
        "write": timings.get("write", 0.0),
    }
    row["total"] = sum(timings.values())
    row["evaluate_share"] = row["evaluate"] / row["total"]
    return row


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="two small sets, 5k rows")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--checkout", default="", help="another treedistill checkout")
    parser.add_argument("--label", default="now", help="name of this measurement")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", default=str(REPO / "reports" / "benchmarks"))
    args = parser.parse_args(argv)
    rows_n = 5_000 if args.quick else args.rows
    sets = dict(list(SETS.items())[:2]) if args.quick else SETS
    notes = []
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        todo = []
        if SHARED.is_dir():
            todo += [(f.removesuffix(".csv"), SHARED / f, t) for f, t in sets.items()]
        else:
            notes.append(f"{SHARED} is absent: the clinical sets were skipped")
        todo.append((f"cohort {rows_n:,}", _cohort_csv(rows_n, folder), "risk"))
        for name, path, target in todo:
            row = run_one(name, path, target, args.checkout, folder)
            results.append(row)
            print(
                f"{name}: "
                + (
                    row.get("error")
                    or f"evaluate {row['evaluate']:.1f} s of {row['total']:.1f} s"
                ),
                flush=True,
            )
    start = startup(args.checkout, 1 if args.quick else args.repeats)
    header = ["data", "rows", *STAGES, "total", "evaluate share"]
    table = [
        [r["data"], "-", "-", "-", "-", "-", "-", "-", r["error"]]
        if "error" in r
        else [
            r["data"],
            f"{r['rows']:,}",
            *(f"{r[s]:.1f}" for s in STAGES),
            f"{r['total']:.1f}",
            f"{100 * r['evaluate_share']:.0f}%",
        ]
        for r in results
    ]
    text = "\n".join(
        [
            f"## {args.label}",
            "",
            f"`{command_line()}`",
            "",
            "Seconds per stage of `treedistill distill DATA --seed 0` (full report).",
            "",
            markdown_table(header, table),
            "",
            f"Start-up (median of {1 if args.quick else args.repeats}): "
            f"`treedistill --help` {start['help_s']} s "
            f"({start['help_ratio']}x `python -c 'import click'`, "
            f"{start['import_click_s']} s); a bad option {start['bad_option_s']} s "
            f"({start['bad_option_ratio']}x).",
            *(f"\nNote: {n}" for n in notes),
            "",
        ]
    )
    print(text)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    json_path = out / "report_cost.json"
    previous = json.loads(json_path.read_text()) if json_path.exists() else {}
    previous[args.label] = {
        "command": command_line(),
        "versions": versions(),
        "runs": results,
        "startup": start,
        "notes": notes,
    }
    json_path.write_text(json.dumps(previous, indent=2) + "\n")
    md_path = out / "report_cost.md"
    md_old = md_path.read_text() if md_path.exists() else "# What the report costs\n\n"
    md_path.write_text(md_old.rstrip("\n") + "\n\n" + text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
