"""What a Dask run reads, checked before any work: the files, their schemas, the
options that apply on a cluster, the packages and the scheduler.

Everything here reads only file listings, Parquet footers and CSV header lines.
"""

from __future__ import annotations

import csv
import glob
import io
import logging
from pathlib import Path

from treedistill.distill._options import DistillParams
from treedistill.exceptions import DataError, ParameterError

__all__ = [
    "CONNECT_TIMEOUT",
    "NOT_ON_DASK",
    "check_dask_installed",
    "check_dask_params",
    "check_files",
    "connect",
    "dask_files",
]

#: Seconds to wait for a scheduler before refusing its address.
CONNECT_TIMEOUT = 5
PARQUET_SUFFIXES = (".parquet", ".pq", ".parq")
CSV_SUFFIXES = (".csv", ".tsv", ".txt")
#: Parameters that do not apply on a cluster, and why.
NOT_ON_DASK = {
    "sweep": "temperature and alpha are chosen by refits in memory",
    "chunk_size": "the partitions are the chunks on a cluster",
    "row_id": "held-out rows are listed by row number on a cluster",
    "copy_data": "a dataset on a cluster is not copied into the run directory",
}
INSTALL = "pip install 'treedistill[dask]'"


# --------------------------------------------------------------------------- #
# Checks before any work
# --------------------------------------------------------------------------- #
def check_dask_params(params: DistillParams) -> None:
    """Refuse the parameters that do not apply on a cluster, naming them."""
    defaults = DistillParams(data="", target="t", out="")
    for name, why in NOT_ON_DASK.items():
        if getattr(params, name) != getattr(defaults, name):
            raise ParameterError(
                f"{name} does not apply with dask ({why}); leave it out",
                parameter=name,
            )


def check_dask_installed() -> None:
    """Refuse ``dask`` when the Dask packages are not installed."""
    try:
        import dask.dataframe  # noqa: F401
        import distributed  # noqa: F401
    except ImportError:
        raise ParameterError(
            f"dask needs the Dask packages dask[dataframe] and distributed: {INSTALL}",
            parameter="dask",
        ) from None


def _is_glob(text: str) -> bool:
    return any(ch in text for ch in "*?[")


def dask_files(data: str | Path) -> tuple[list[Path], str]:
    """The files a Dask run reads (sorted by path) and their kind.

    ``data`` is a Parquet file, a folder of Parquet files (searched recursively;
    hidden files and names starting with ``_`` are skipped) or a glob of Parquet
    or CSV files. Returns the files and ``"parquet"`` or ``"csv"``.
    """
    text = str(data)
    path = Path(text)
    if _is_glob(text):
        files = sorted(Path(p) for p in glob.glob(text, recursive=True))
        files = [p for p in files if p.is_file()]
        where = f"the glob {text!r}"
    elif path.is_dir():
        files = sorted(
            p
            for p in path.rglob("*")
            if p.is_file()
            and p.suffix.lower() in PARQUET_SUFFIXES
            and not any(
                part.startswith((".", "_")) for part in p.relative_to(path).parts
            )
        )
        where = f"the folder {text!r}"
    elif path.is_file():
        files, where = [path], f"{text!r}"
    else:
        raise DataError(f"data {text!r} does not exist", path=text)
    if not files:
        raise DataError(f"{where} holds no Parquet or CSV file", path=text)
    kinds = {_kind(p) for p in files}
    if None in kinds:
        odd = next(p for p in files if _kind(p) is None)
        raise DataError(
            f"data file {str(odd)!r} is not Parquet or CSV (accepted: "
            f"{', '.join(PARQUET_SUFFIXES + CSV_SUFFIXES)})",
            path=odd,
        )
    if len(kinds) > 1:
        raise DataError(f"{where} mixes Parquet and CSV files; use one kind", path=text)
    return files, kinds.pop()


def _kind(path: Path) -> str | None:
    suffix = path.suffix.lower()
    if suffix in PARQUET_SUFFIXES:
        return "parquet"
    return "csv" if suffix in CSV_SUFFIXES else None


def _parquet_schema(path: Path) -> dict[str, str]:
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(path)
    except Exception as exc:  # noqa: BLE001 - any failure is the file's
        raise DataError(
            f"data file {str(path)!r} is not a readable Parquet file "
            f"({' '.join(str(exc).split())[:200]})",
            path=path,
        ) from None
    import pyarrow as pa

    for f in schema:
        if pa.types.is_nested(f.type):
            raise DataError(
                f"data file {str(path)!r}: column {f.name!r} holds nested values "
                f"({f.type}), not one number or text per cell; flatten it into "
                "columns or drop it",
                path=path,
                column=f.name,
            )
    return {
        str(f.name).strip(): str(f.type)
        for f in schema
        if not str(f.name).startswith("__index_level_")
    }


def _csv_header(path: Path) -> tuple[dict[str, str], str]:
    from treedistill.data._delimiter import sniff_delimiter as _sniff_delimiter

    try:
        with open(path, encoding="utf-8-sig") as f:
            text = f.read(65536)
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(
            f"data file {str(path)!r} cannot be read as UTF-8 text ({exc})", path=path
        ) from None
    delimiter = _sniff_delimiter(text, path.suffix.lower())
    names = next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), [])
    return {str(n).strip(): "text" for n in names}, delimiter


def check_files(files: list[Path], kind: str, target: str) -> str | None:
    """Refuse files without the target and files whose schema differs from the
    first file's, naming the file and the column. Reads only footers and headers.

    Returns the CSV delimiter (``None`` for Parquet).
    """
    target = str(target).strip()
    first, delimiter = None, None
    for path in files:
        if kind == "parquet":
            schema = _parquet_schema(path)
        else:
            schema, sep = _csv_header(path)
            if delimiter is not None and sep != delimiter:
                raise DataError(
                    f"data file {str(path)!r} is separated by {sep!r} but "
                    f"{str(files[0])!r} by {delimiter!r}; the files of one run "
                    "must use the same separator",
                    path=path,
                )
            delimiter = sep
        if target not in schema:
            raise DataError(
                f"data file {str(path)!r} has no column {target!r} (the target)",
                path=path,
                column=target,
            )
        if first is None:
            first = (path, schema)
            continue
        _compare_schemas(first, path, schema)
    return delimiter


def _compare_schemas(first: tuple[Path, dict], path: Path, schema: dict) -> None:
    ref_path, ref = first
    for name, type_ in ref.items():
        if name not in schema:
            raise DataError(
                f"data file {str(path)!r} lacks column {name!r}, which "
                f"{str(ref_path)!r} has (the files' schemas differ)",
                path=path,
                column=name,
            )
        other = schema[name]
        if other != type_ and "null" not in (other, type_):
            raise DataError(
                f"column {name!r} is {other} in data file {str(path)!r} but {type_} in "
                f"{str(ref_path)!r} (the files' schemas differ)",
                path=path,
                column=name,
            )
    extra = [name for name in schema if name not in ref]
    if extra:
        raise DataError(
            f"data file {str(path)!r} has column {extra[0]!r}, which "
            f"{str(ref_path)!r} lacks (the files' schemas differ)",
            path=path,
            column=extra[0],
        )


def connect(address: str):
    """A client of a new LocalCluster (``"local"``) or of the scheduler at
    ``address``; returns ``(client, close)`` where ``close()`` ends what this
    call opened. A client this process already holds on that scheduler is
    used as it is (and left open): two clients of one process on one scheduler
    can stall xgboost.dask."""
    from distributed import Client, LocalCluster

    if address.strip() == "local":
        cluster = LocalCluster(
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",  # any free port
            silence_logs=logging.ERROR,
        )
        client = Client(cluster)

        def close() -> None:
            client.close()
            cluster.close()

        return client, close
    held = _held_client(address.strip())
    if held is not None:
        return held, lambda: None
    try:
        client = Client(address.strip(), timeout=CONNECT_TIMEOUT)
    except Exception as exc:  # noqa: BLE001 - every failure means "not reachable"
        raise ParameterError(
            f"dask: cannot reach the Dask scheduler at {address!r} within "
            f"{CONNECT_TIMEOUT} s ({' '.join(str(exc).split())[:160]})",
            parameter="dask",
        ) from None
    return client, client.close


def _held_client(address: str):
    from distributed import default_client

    try:
        client = default_client()
    except ValueError:
        return None
    if client.status == "running" and client.scheduler.address == address:
        return client
    return None
