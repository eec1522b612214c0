"""Figures of the report, drawn from the report dict's numbers alone.

Every function takes parts of the report and returns a PNG as a ``data:`` URI
(plus its pixel size where the page needs it). Figures are built on
``matplotlib.figure.Figure`` with the Agg canvas: no pyplot state, no GUI backend.
"""

from __future__ import annotations

import base64
import io
import textwrap

import numpy as np
from matplotlib import rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch

__all__ = [
    "Image",
    "plot_size_curve",
    "plot_confusion",
    "plot_calibration",
    "plot_subgroups",
    "plot_shap",
    "plot_tree",
    "plot_tree_parts",
]

DPI = 100  # pixels per inch of the page: figure sizes in CSS pixels
SCALE = 2  # PNGs carry twice the pixels they are shown at: crisp when zoomed
#: Okabe & Ito's colour-blind-safe palette (blue first; vermillion is kept for the
#: positive / high-risk class, see :func:`class_colors`).
POSITIVE_COLOR = "#D55E00"
_PALETTE = [
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#000000",
    "#F0E442",
]
#: Dash patterns: solid and a long dash, told apart in print and in legends.
SOLID = "-"
DASHED = (0, (6, 3))
TEACHER_COLOR = "#000000"
#: Calibration bins with fewer rows are drawn faded.
FADE_BELOW_ROWS = 40


def class_colors(classes, positive=None) -> list[str]:
    """One colour per class: ``positive`` (a class label) always vermillion, the
    others from the colour-blind-safe palette in their order."""
    others = iter(c for c in _PALETTE if c != POSITIVE_COLOR)
    out = []
    for c in classes:
        if positive is not None and str(c) == str(positive):
            out.append(POSITIVE_COLOR)
        else:
            out.append(next(others, "#999999"))
    return out


def _model_color(name: str, i: int, teacher_first: bool) -> str:
    """Black for the teacher; the palette in order for the models after it, so
    that the first student is blue in every figure."""
    if name == "teacher":
        return TEACHER_COLOR
    return _PALETTE[(i - 1 if teacher_first else i) % len(_PALETTE)]


def _tint(color: str, amount: float = 0.8) -> str:
    """``color`` mixed with ``amount`` of white (leaf fills)."""
    rgb = [int(color[i : i + 2], 16) for i in (1, 3, 5)]
    mixed = [round(v + (255 - v) * amount) for v in rgb]
    return "#" + "".join(f"{v:02x}" for v in mixed)


class Image:
    """A rendered figure: ``src`` is a data URI, ``width``/``height`` in CSS pixels.

    ``data`` holds PNG bytes (at :data:`SCALE` times the shown size) or, with
    ``mime="image/svg+xml"``, an SVG document (vector: any zoom, any page width).
    """

    def __init__(
        self,
        data: bytes,
        width: int,
        height: int,
        layout: str = "",
        mime: str = "image/png",
    ):
        self.data = data
        self.width = width
        self.height = height
        self.layout = layout
        self.mime = mime

    @property
    def png(self) -> bytes:
        """The PNG bytes (raises for a vector figure)."""
        if self.mime != "image/png":
            raise ValueError("this figure is an SVG drawing, not a PNG")
        return self.data

    @property
    def src(self) -> str:
        return f"data:{self.mime};base64," + base64.b64encode(self.data).decode("ascii")


def _text(s) -> str:
    """Data text safe for matplotlib: no mathtext from ``$`` signs."""
    return str(s).replace("$", r"\$")


def _render(fig: Figure, fmt: str = "png") -> Image:
    """``fig`` as a PNG at :data:`SCALE` times its page size, or as SVG."""
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    w, h = fig.get_size_inches() * DPI
    if fmt == "svg":
        # No date or tool name in the file: the same report gives the same bytes.
        with rc_context({"svg.hashsalt": "treedistill"}):
            fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
        image = Image(buf.getvalue(), int(round(w)), int(round(h)))
        image.mime = "image/svg+xml"
        return image
    fig.savefig(buf, format="png", dpi=DPI * SCALE, metadata={"Software": None})
    return Image(buf.getvalue(), int(round(w)), int(round(h)))


def _pct_axis(ax, axis: str = "y") -> None:
    fmt = _percent_formatter()
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(fmt)


def _percent_formatter():
    """Percent ticks with as many decimals as it takes to tell them apart
    (``99.6% 99.8% 100.0%``, never ``100% 100% 100%``)."""
    from matplotlib.ticker import Formatter

    class PercentFormatter(Formatter):
        decimals = 0

        def set_locs(self, locs):
            super().set_locs(locs)
            values = [100 * float(v) for v in locs]
            for d in range(5):
                texts = [f"{v:.{d}f}" for v in values]
                if len(set(texts)) == len(texts):
                    break
            self.decimals = d

        def __call__(self, x, pos=None):
            return f"{100 * x:.{self.decimals}f}%"

    return PercentFormatter()


# ---------------------------------------------------------------------------
# Fidelity against size
# ---------------------------------------------------------------------------
def _draw_series(ax, points: list, series: list) -> None:
    for xkey, get, label, style, color in series:
        xy = [(p[xkey], get(p)) for p in points if get(p) is not None]
        if not xy:
            continue
        x, y = zip(*xy, strict=True)
        student = color == 0
        # The student on top; the surrogate's hollow squares stay visible beneath.
        ax.plot(
            x,
            y,
            ls=style,
            marker="o" if student else "s",
            mfc=_PALETTE[color] if student else "white",
            color=_PALETTE[color],
            label=label,
            lw=2,
            ms=5 if student else 8,
            zorder=3 if student else 2,
        )


def _leaf_axis(ax, points: list, chosen: dict | None, ylabel: str) -> None:
    if chosen:
        ax.axvline(chosen["leaves"], color="#444444", ls=":", lw=1.2)
    ax.set_xscale("log", base=2)
    leaves = sorted(
        {p["student_leaves"] for p in points}
        | ({chosen["leaves"]} if chosen else set())
    )
    ax.set_xticks(leaves)
    ax.set_xticklabels([str(v) for v in leaves])
    ax.minorticks_off()
    ax.set_xlabel("leaves in the tree")
    ax.set_ylabel(ylabel)
    _pct_axis(ax)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=9, loc="lower right", handlelength=3.5)


def _objective_panel(ax, points: list, curve: dict) -> None:
    """The size curve's objective (held-out) for the student and the surrogate."""
    measure = curve["objective"]["measure"]

    def getter(who):
        return lambda p: (
            (p.get("measures") or {}).get(who, {}).get("held_out", {}).get(measure)
        )

    _draw_series(
        ax,
        points,
        [
            ("student_leaves", getter("student"), "treedistill tree", SOLID, 0),
            ("surrogate_leaves", getter("surrogate"), "hard-label surrogate", SOLID, 1),
        ],
    )
    chosen = curve.get("chosen")
    value = ((chosen or {}).get("measures") or {}).get(measure)
    if value is not None:
        ax.plot(
            [chosen["leaves"]], [value], marker="*", ms=16, color="#000000", ls="none"
        )
    _leaf_axis(ax, points, chosen, textwrap.fill(curve["objective"]["label"], 40))


def plot_size_curve(curve: dict) -> Image | None:
    """Agreement with the teacher against the number of leaves; next to it, the
    measure the size is judged by when that is not agreement."""
    points = curve.get("points") or []
    if not points:
        return None
    objective = (curve.get("objective") or {}).get("measure", "agreement")
    two = objective != "agreement"
    fig = Figure(figsize=(11.0, 4.2) if two else (8.5, 4.2))
    ax = fig.add_subplot(1, 2 if two else 1, 1)
    series = [
        ("student_leaves", "student_held_out", "treedistill tree, held-out", SOLID, 0),
        (
            "student_leaves",
            "student_synthetic",
            "treedistill tree, synthetic",
            DASHED,
            0,
        ),
        ("surrogate_leaves", "surrogate_held_out", "surrogate, held-out", SOLID, 1),
        ("surrogate_leaves", "surrogate_synthetic", "surrogate, synthetic", DASHED, 1),
    ]
    _draw_series(
        ax,
        points,
        [(x, lambda p, k=y: p.get(k), lab, st, c) for x, y, lab, st, c in series],
    )
    chosen = curve.get("chosen")
    if chosen and chosen.get("held_out") is not None:
        ax.plot(
            [chosen["leaves"]],
            [chosen["held_out"]],
            marker="*",
            ms=16,
            color="#000000",
            ls="none",
            zorder=5,
            label=f"chosen: {chosen['leaves']} leaves",
        )
    _leaf_axis(ax, points, chosen, "agreement with the teacher")
    if two:
        _objective_panel(fig.add_subplot(1, 2, 2), points, curve)
    fig.tight_layout()
    return _render(fig)


# ---------------------------------------------------------------------------
# Confusion matrices
# ---------------------------------------------------------------------------
def plot_confusion(confusion: dict, titles: dict | None = None) -> Image | None:
    """One heat map per student: teacher class (rows) against student class."""
    matrices = confusion.get("matrices") or {}
    if not matrices:
        return None
    labels = [_text(c) for c in confusion["labels"]]
    k = len(labels)
    n = len(matrices)
    size = max(3.2, 0.9 * k + 2.0)
    fig = Figure(figsize=(size * n + 0.5, size))
    for i, (name, m) in enumerate(matrices.items()):
        ax = fig.add_subplot(1, n, i + 1)
        arr = np.asarray(m, dtype=float)
        rows = arr.sum(axis=1, keepdims=True)
        share = arr / np.where(rows > 0, rows, 1)
        ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
        for r in range(k):
            for c in range(k):
                ax.text(
                    c,
                    r,
                    f"{int(arr[r, c])}",
                    ha="center",
                    va="center",
                    color="white" if share[r, c] > 0.6 else "black",
                    fontsize=11,
                )
        ax.set_xticks(range(k))
        ax.set_yticks(range(k))
        ax.set_xticklabels(
            [textwrap.shorten(s, 14, placeholder="…") for s in labels],
            rotation=30 if k > 3 else 0,
            ha="right" if k > 3 else "center",
        )
        ax.set_yticklabels([textwrap.shorten(s, 14, placeholder="…") for s in labels])
        ax.set_xlabel("student predicts")
        ax.set_ylabel("teacher predicts")
        ax.set_title(_text((titles or {}).get(name, name)), fontsize=10)
    fig.tight_layout()
    return _render(fig)


# ---------------------------------------------------------------------------
# Calibration
# ---------------------------------------------------------------------------
def _calibration_curve(ax, name: str, bins: list, color: str) -> None:
    """One reliability curve; bins under :data:`FADE_BELOW_ROWS` rows faded."""
    x = [b["mean_predicted"] for b in bins]
    y = [b["observed"] for b in bins]
    biggest = max(1, max(b["n"] for b in bins))
    teacher = name == "teacher"
    ax.plot(
        x,
        y,
        color=color,
        lw=2 if teacher else 1.6,
        ls=SOLID if teacher else DASHED,
        label=_text(name),
        zorder=2,
    )
    for xi, yi, b in zip(x, y, bins, strict=True):
        small = b["n"] < FADE_BELOW_ROWS
        ax.scatter(
            [xi],
            [yi],
            s=12 + 60 * np.sqrt(b["n"] / biggest),
            color=color,
            alpha=0.25 if small else 1.0,
            zorder=3,
        )


def plot_calibration(calibration: dict, positive_label: str | None) -> Image | None:
    """Reliability curves of the teacher and the students against the truth.

    For a binary problem the x axis is P(positive class). Bins hold about equal
    numbers of rows (see the calibration section); a point's area grows with its
    rows and bins of fewer than :data:`FADE_BELOW_ROWS` rows are faded.
    """
    curves = calibration.get("curves") or {}
    if not curves:
        return None
    fig = Figure(figsize=(6.2, 5.0))
    ax = fig.add_subplot()
    ax.plot(
        [0, 1], [0, 1], color="#999999", ls=":", lw=1.2, label="perfect calibration"
    )
    faded = False
    for i, (name, cur) in enumerate(curves.items()):
        bins = cur.get("bins") or []
        if not bins:
            continue
        color = _model_color(name, i, next(iter(curves)) == "teacher")
        _calibration_curve(ax, name, bins, color)
        faded = faded or any(b["n"] < FADE_BELOW_ROWS for b in bins)
    if calibration.get("kind") == "positive":
        ax.set_xlabel(f"predicted P({_text(positive_label)})")
        ax.set_ylabel(f"observed share of {_text(positive_label)}")
    else:
        ax.set_xlabel("confidence in the predicted class")
        ax.set_ylabel("observed accuracy")
    if faded:
        ax.scatter(
            [],
            [],
            s=30,
            color="#777777",
            alpha=0.25,
            label=f"bin of < {FADE_BELOW_ROWS} rows",
        )
    ax.set_xlim(0, 1)
    ax.set_ylim(-0.02, 1.02)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=9, loc="upper left", handlelength=3.5)
    fig.tight_layout()
    return _render(fig)


# ---------------------------------------------------------------------------
# Subgroups
# ---------------------------------------------------------------------------
def plot_subgroups(rows: list, model: str, overall: float | None) -> Image | None:
    """Forest plot of the agreement per subgroup with its 95% interval."""
    rows = [r for r in rows if r["models"].get(model, {}).get("agreement") is not None]
    if not rows:
        return None
    height = 0.8 + 0.32 * len(rows)
    fig = Figure(figsize=(8.5, max(2.4, height)))
    ax = fig.add_subplot()
    ys = np.arange(len(rows))[::-1]
    for y, r in zip(ys, rows, strict=True):
        m = r["models"][model]
        ci = m.get("agreement_ci") or [m["agreement"], m["agreement"]]
        alpha = 0.3 if r.get("small") else 1.0  # under MIN_N rows: faded
        ax.plot(ci, [y, y], color=_PALETTE[0], lw=2, alpha=alpha)
        ax.plot([m["agreement"]], [y], "o", color=_PALETTE[0], ms=6, alpha=alpha)
    if overall is not None:
        ax.axvline(overall, color="#000000", ls=DASHED, lw=1.2, label="overall")
        ax.legend(fontsize=9, loc="lower left")
    ax.set_yticks(ys)
    ax.set_yticklabels(
        [
            textwrap.shorten(
                _text(r.get("label") or f"{r['column']} = {r['level']}"),
                38,
                placeholder="…",
            )
            + f"  (n={r['n']}{', small' if r.get('small') else ''})"
            for r in rows
        ],
        fontsize=9,
    )
    lows = [
        (r["models"][model].get("agreement_ci") or [r["models"][model]["agreement"]])[0]
        for r in rows
    ]
    left = min([*lows, overall if overall is not None else 1.0])
    ax.set_xlim(max(0.0, left - 0.05), 1.005)
    ax.set_xlabel("agreement with the teacher (95% CI)")
    _pct_axis(ax, "x")
    ax.grid(True, axis="x", alpha=0.3)
    fig.tight_layout()
    return _render(fig)


# ---------------------------------------------------------------------------
# SHAP
# ---------------------------------------------------------------------------
def plot_shap(shap: dict, max_columns: int = 15) -> Image | None:
    """Share of total mean |SHAP| per column: teacher next to each student."""
    series = []
    teacher = shap.get("teacher") or {}
    if teacher.get("status") == "ok":
        series.append(("teacher", teacher["importance"]))
    for name, s in (shap.get("students") or {}).items():
        if s.get("status") == "ok":
            series.append((name, s["importance"]))
    if not series:
        return None
    columns = shap["columns"]
    ref = np.asarray(series[0][1], dtype=float)
    order = np.argsort(-ref, kind="stable")[:max_columns]
    shares = []
    for _, values in series:
        v = np.asarray(values, dtype=float)
        total = v.sum()
        shares.append(v / total if total > 0 else v)
    n = len(order)
    height = 1.0 + n * (0.22 * len(series) + 0.15)
    fig = Figure(figsize=(8.5, max(2.6, height)))
    ax = fig.add_subplot()
    bar = 0.8 / len(series)
    ys = np.arange(n)[::-1]
    for i, ((name, _), share) in enumerate(zip(series, shares, strict=True)):
        color = _model_color(name, i, series[0][0] == "teacher")
        ax.barh(
            ys + 0.4 - bar * (i + 0.5),
            share[order],
            height=bar * 0.95,
            color=color,
            label=_text(name),
        )
    ax.set_yticks(ys)
    ax.set_yticklabels(
        [textwrap.shorten(_text(columns[j]), 28, placeholder="…") for j in order],
        fontsize=9,
    )
    ax.set_xlabel("share of total mean |SHAP|")
    _pct_axis(ax, "x")
    ax.grid(True, axis="x", alpha=0.3)
    ax.legend(fontsize=9, loc="lower right")
    fig.tight_layout()
    return _render(fig)


# ---------------------------------------------------------------------------
# The tree
# ---------------------------------------------------------------------------
_SLOT_W = 1.3  # inches per leaf, top-down layout
_LEVEL_H = 1.35  # inches per level, top-down layout
_PAGE_WIDTH = 11.4  # inches of figure that fit the page's 1150 px column
_COL_W = 1.45  # inches per level, left-to-right layout
_ROW_H = 0.95  # inches per leaf, left-to-right layout
_FONT = 8  # points, every text of the drawing (boxes and edge labels)
_BOX_GAP = 0.16  # inches between neighbouring boxes
#: Printed, the drawing is scaled to the paper's printable width (A4: 186 mm,
#: 703 CSS px); at most this many figure inches keep its text at 7 pt or more.
PRINT_MIN_PT = 7.0
PRINT_WIDTH_PX = 703
PRINT_MAX_WIDTH = _FONT * PRINT_WIDTH_PX / (PRINT_MIN_PT * 96) - 0.05
#: Printed parts of a left-to-right drawing hold at most this many leaves (the
#: height of one page).
PRINT_MAX_LEAVES = 10


def _chars(box_w: float) -> int:
    """Characters of box text that fit in ``box_w`` inches (DejaVu Sans)."""
    return max(8, int(box_w * 72 / (_FONT * 0.6)))


def _fit(text: str, n: int) -> str:
    """``text`` cut to ``n`` characters (with an ellipsis when cut)."""
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 1] + "…"


def _count_line(node: dict) -> str:
    """The rows a box holds: held-out rows in a report; a live model drawn on
    its own (``n_test`` None) counts its transfer set."""
    if node.get("n_test") is None:
        return f"n={node['n_transfer']} transfer"
    return f"n={node['n_test']} held-out"


def _leaf_lines(node: dict, classes: list, wrap: int) -> list[str]:
    # The predicted class by its display name (``classes`` are the names).
    title = str(classes[int(np.argmax(node["distribution"]))])
    if node.get("rule"):
        title = f"Rule {node['rule']}: {title}"
    lines = [_fit(title, wrap)]
    dist = node["distribution"]
    order = np.argsort(-np.asarray(dist), kind="stable")
    for j in order[: min(3, len(dist))]:
        pct = f" {100 * dist[j]:.0f}%"
        lines.append(_fit(str(classes[j]), wrap - len(pct)) + pct)
    lines.append(_count_line(node))
    return lines


def _split_lines(node: dict, wrap: int) -> list[str]:
    lines = textwrap.wrap(str(node["question"]), wrap, break_long_words=True) or [""]
    if len(lines) > 3:
        lines = lines[:2] + [_fit(" ".join(lines[2:]), wrap)]
    side = node.get("missing_goes")
    if side in ("left", "right"):
        # where a missing value goes, inside the box (an edge label this long
        # would not fit between the boxes)
        lines.append(_fit(f"missing: {node[f'{side}_label']}", wrap))
    lines.append(_count_line(node))
    return lines


def _stub_lines(node: dict, wrap: int) -> list[str]:
    lo, hi = node["rules"]
    rules = f"rule {lo}" if lo == hi else f"rules {lo}–{hi}"
    return [
        _fit(f"→ part {node['part']}", wrap),
        _fit(rules, wrap),
        f"n={node['n_test']} held-out",
    ]


def _layout(nodes: list[dict]) -> tuple[dict, dict]:
    """Leaf slots left to right; a parent sits midway over its children."""
    by_id = {n["id"]: n for n in nodes}
    pos: dict[int, float] = {}
    counter = [0]

    def place(i: int) -> float:
        node = by_id[i]
        if node["leaf"]:
            pos[i] = float(counter[0])
            counter[0] += 1
        else:
            a = place(node["left"])
            b = place(node["right"])
            pos[i] = (a + b) / 2
        return pos[i]

    place(next(n["id"] for n in nodes if n["depth"] == 0))
    return pos, by_id


class _TreeGeometry:
    """Figure size, box width and node centres of a tree drawing."""

    def __init__(self, nodes: list[dict], page_width: float = _PAGE_WIDTH):
        self.pos, self.by_id = _layout(nodes)
        n_leaves = sum(1 for n in nodes if n["leaf"])
        depth = max(n["depth"] for n in nodes)
        self.top_down = n_leaves * _SLOT_W + 0.4 <= page_width
        if self.top_down:
            self.width = max(6.0, n_leaves * _SLOT_W + 0.4)
            self.height = (depth + 1) * _LEVEL_H + 0.3
        else:
            self.width = (depth + 1) * _COL_W + 0.4
            self.height = n_leaves * _ROW_H + 0.4
        self.box_w = (_SLOT_W if self.top_down else _COL_W - 0.2) - _BOX_GAP
        self.line_h = _FONT * 1.25 / 72  # inches per text line

    def xy(self, i: int) -> tuple[float, float]:
        """Centre of node ``i``'s box, in inches."""
        depth, slot = self.by_id[i]["depth"], self.pos[i]
        if self.top_down:
            return (slot + 0.5) * _SLOT_W + 0.2, self.height - 0.15 - (
                depth + 0.5
            ) * _LEVEL_H
        return (depth + 0.5) * _COL_W + 0.2, self.height - 0.2 - (slot + 0.5) * _ROW_H

    def edge(self, parent: tuple, child: tuple) -> tuple[tuple, tuple]:
        """Start and end of the line from a parent box to a child box."""
        (x0, y0, h0, _), (x1, y1, h1, _) = parent, child
        if self.top_down:
            return (x0, y0 - h0 / 2), (x1, y1 + h1 / 2)
        return (x0 + self.box_w / 2, y0), (x1 - self.box_w / 2, y1)


def _draw_edges(ax, nodes: list[dict], boxes: dict, geo: _TreeGeometry) -> None:
    for node in nodes:
        if node["leaf"]:
            continue
        for side in ("left", "right"):
            start, end = geo.edge(boxes[node["id"]], boxes[node[side]])
            ax.plot(
                [start[0], end[0]], [start[1], end[1]], color="#888888", lw=1, zorder=1
            )
            # "yes" / "no" halfway along the edge: short enough for the gap
            # between two boxes (where missing values go is said in the box)
            mx, my = (start[0] + end[0]) / 2, (start[1] + end[1]) / 2
            label = ax.text(
                mx,
                my,
                node[f"{side}_label"],
                ha="center",
                va="center",
                fontsize=_FONT,
                color="#333333",
                zorder=2,
                bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none"},
            )
            label.set_gid("edge-label")


def _draw_box(
    ax, node: dict, box: tuple, geo: _TreeGeometry, colors: list[str]
) -> None:
    x, y, h, lines = box
    stub = node.get("part") is not None
    if stub:
        fc, ec = "#f4f4f4", "#777777"
    elif node["leaf"]:
        ec = colors[int(np.argmax(node["distribution"]))]
        fc = _tint(ec)
    else:
        fc, ec = "white", "#555555"
    patch = FancyBboxPatch(
        (x - geo.box_w / 2, y - h / 2),
        geo.box_w,
        h,
        boxstyle="round,pad=0.02,rounding_size=0.06",
        fc=fc,
        ec=ec,
        lw=1.3,
        ls=(0, (4, 2)) if stub else "-",
        zorder=3,
    )
    patch.set_gid("node")
    ax.add_patch(patch)
    for j, line in enumerate(lines):
        ax.text(
            x,
            y + h / 2 - 0.06 - (j + 0.5) * geo.line_h,
            _text(line),
            ha="center",
            va="center",
            fontsize=_FONT,
            fontweight="bold" if j == 0 and node["leaf"] else "normal",
            zorder=4,
            clip_on=False,
        )


def tree_figure(
    nodes: list[dict], classes: list, positive=None, page_width: float = _PAGE_WIDTH
) -> tuple[Figure, _TreeGeometry]:
    """The drawing of ``nodes`` (a tree or a part of one) as a matplotlib figure.

    Node boxes carry the gid ``"node"``, edge labels ``"edge-label"``.
    """
    geo = _TreeGeometry(nodes, page_width)
    fig = Figure(figsize=(geo.width, geo.height))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, geo.width)
    ax.set_ylim(0, geo.height)
    ax.axis("off")
    wrap = _chars(geo.box_w)
    boxes = {}
    for node in nodes:
        if node.get("part") is not None:
            lines = _stub_lines(node, wrap)
        elif node["leaf"]:
            lines = _leaf_lines(node, classes, wrap)
        else:
            lines = _split_lines(node, wrap)
        x, y = geo.xy(node["id"])
        boxes[node["id"]] = (x, y, len(lines) * geo.line_h + 0.12, lines)
    _draw_edges(ax, nodes, boxes, geo)  # under the boxes
    colors = class_colors(classes, positive)
    for node in nodes:
        _draw_box(ax, node, boxes[node["id"]], geo, colors)
    return fig, geo


def plot_tree(tree: dict, classes: list, positive=None) -> Image | None:
    """The tree as an SVG drawing, one box per node; boxes never overlap.

    A tree whose leaves fit side by side in a page's width (up to 8) grows
    downward. A larger one grows to the right, one row per leaf: its height grows
    with the leaves and its width only with the depth. Being vector, the drawing
    is shown at the page's width (screen or paper) and stays sharp when zoomed.
    Leaves take the colour of their class; ``positive`` (a class label) is
    vermillion in every report. Each split box says where a missing value goes.
    """
    nodes = tree.get("nodes") or []
    if not nodes:
        return None
    fig, geo = tree_figure(nodes, classes, positive)
    image = _render(fig, "svg")
    image.layout = "top-down" if geo.top_down else "left-right"
    return image


# ---------------------------------------------------------------------------
# The tree in parts, for paper
# ---------------------------------------------------------------------------
def _fits_print(nodes: list[dict]) -> bool:
    geo = _TreeGeometry(nodes, PRINT_MAX_WIDTH)
    n_leaves = sum(1 for n in nodes if n["leaf"])
    return geo.width <= PRINT_MAX_WIDTH and (
        geo.top_down or n_leaves <= PRINT_MAX_LEAVES
    )


def _rule_range(by_id: dict, i: int) -> tuple[int, int]:
    node = by_id[i]
    if node["leaf"]:
        return node.get("rule") or 0, node.get("rule") or 0
    a, _ = _rule_range(by_id, node["left"])
    _, b = _rule_range(by_id, node["right"])
    return a, b


def _part_nodes(by_id: dict, root: int, cuts: set) -> list[dict]:
    """The nodes of the subtree at ``root``, depths counted from ``root``; the
    internal nodes in ``cuts`` become stubs (their subtree goes in another part)."""
    base = by_id[root]["depth"]
    out, stack = [], [root]
    while stack:
        i = stack.pop()
        node = dict(by_id[i], depth=by_id[i]["depth"] - base)
        if i in cuts:
            node.update(leaf=True, left=None, right=None, part=-1)
            node["rules"] = _rule_range(by_id, i)
        elif not node["leaf"]:
            stack += [node["right"], node["left"]]
        out.append(node)
    return out


def _shown_leaves(by_id: dict, i: int, cuts: set) -> int:
    if i in cuts or by_id[i]["leaf"]:
        return 1
    node = by_id[i]
    return _shown_leaves(by_id, node["left"], cuts) + _shown_leaves(
        by_id, node["right"], cuts
    )


def _part_cuts(by_id: dict, root: int) -> set:
    """Which subtrees of ``root``'s part go in parts of their own: first those
    too deep for the paper's width, then, while the part is too tall, the
    smallest subtree that makes it fit (else the largest, and again)."""
    base = by_id[root]["depth"]
    ids = _subtree_ids(by_id, root)
    inner = [i for i in ids if i != root and not by_id[i]["leaf"]]
    cuts: set = set()
    nodes = _part_nodes(by_id, root, cuts)
    limit = max(by_id[i]["depth"] for i in ids) - base
    while _TreeGeometry(nodes, PRINT_MAX_WIDTH).width > PRINT_MAX_WIDTH and limit > 1:
        limit -= 1
        cuts = {i for i in inner if by_id[i]["depth"] - base == limit}
        nodes = _part_nodes(by_id, root, cuts)
    while not _fits_print(nodes):
        inside = set(ids)
        for c in cuts:  # nodes below a cut are not in this part
            inside -= set(_subtree_ids(by_id, c)) - {c}
        open_ = [i for i in inner if i in inside and i not in cuts]
        if not open_:
            break
        size = {i: _shown_leaves(by_id, i, cuts) for i in open_}
        excess = sum(1 for n in nodes if n["leaf"]) - PRINT_MAX_LEAVES
        enough = [i for i in open_ if size[i] - 1 >= excess]
        pick = (
            min(enough, key=lambda i: (size[i], i))
            if enough
            else max(open_, key=lambda i: (size[i], -i))
        )
        cuts -= set(_subtree_ids(by_id, pick))  # cuts below it go with it
        cuts.add(pick)
        nodes = _part_nodes(by_id, root, cuts)
    return cuts


def _parts(by_id: dict, root: int, parts: list) -> int:
    """Split the subtree at ``root`` into parts that fit the paper; returns the
    number of its part. Parts are numbered in reading order (top part first)."""
    cuts = _part_cuts(by_id, root)
    nodes = _part_nodes(by_id, root, cuts)
    number = len(parts) + 1
    parts.append({"root": root, "nodes": nodes})
    stubs = {n["id"]: n for n in nodes if n.get("part") == -1}
    for i in sorted(cuts, key=lambda c: _rule_range(by_id, c)):
        stubs[i]["part"] = _parts(by_id, i, parts)
    return number


def _subtree_ids(by_id: dict, root: int) -> list[int]:
    out, stack = [], [root]
    while stack:
        i = stack.pop()
        out.append(i)
        if not by_id[i]["leaf"]:
            stack += [by_id[i]["left"], by_id[i]["right"]]
    return out


def _branch_text(by_id: dict, root: int) -> str:
    """The branch that leads to ``root``: ``glucose <= 140: no``."""
    for node in by_id.values():
        for side in ("left", "right"):
            if not node["leaf"] and node[side] == root:
                return f"“{node['question']}”: {node[f'{side}_label']}"
    return ""


def plot_tree_parts(tree: dict, classes: list, positive=None) -> list[Image]:
    """The tree in parts that each fit a printed page (A4 or Letter) with text
    of at least :data:`PRINT_MIN_PT` points; ``[]`` when the whole drawing does.

    The first part is the top of the tree; a branch that goes on in another
    part ends in a dashed box ``→ part 3`` naming its rules. Each image has a
    ``caption``.
    """
    nodes = tree.get("nodes") or []
    if not nodes or _fits_print(nodes):
        return []
    by_id = {n["id"]: n for n in nodes}
    parts: list = []
    _parts(by_id, 0, parts)
    out = []
    for k, part in enumerate(parts, 1):
        fig, geo = tree_figure(part["nodes"], classes, positive, PRINT_MAX_WIDTH)
        image = _render(fig, "svg")
        image.layout = "top-down" if geo.top_down else "left-right"
        lo, hi = _rule_range(by_id, part["root"])
        rules = f"rule {lo}" if lo == hi else f"rules {lo}–{hi}"
        where = (
            "the top of the tree"
            if part["root"] == 0
            else f"the branch {_branch_text(by_id, part['root'])}"
        )
        image.caption = f"Part {k} of {len(parts)}: {where} ({rules})"
        out.append(image)
    return out
