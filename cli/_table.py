"""The ranking as a console table that fits the terminal.

Columns are chosen, not squeezed: rank, feature and consensus always, then as
many method columns as fit the width, then type / missing% / notes when room
is left; a name too long for its column is cut with an ellipsis, never
wrapped mid-word. What is left out is said below the table.
"""

from __future__ import annotations

from ._common import clean_text, plain_message, stdout_console

DEFAULT_TOP = 20
MIN_FEATURE_WIDTH = 12  # a feature column narrower than this is unreadable
MIN_NOTES_WIDTH = 16
ELLIPSIS = "\u2026"


def parse_top(value):
    """``--top``: a positive number of rows, or ``all`` (None = every row)."""
    from ._common import fail

    if value is None:
        return DEFAULT_TOP
    text = str(value).strip().lower()
    if text == "all":
        return None
    try:
        rows = int(text)
    except ValueError:
        fail(f"Invalid value for '--top': {value!r} is not a number of rows or 'all'.")
    if rows < 1:
        fail(f"--top must be at least 1, got {rows}.")
    return rows


def _fmt_rank(rank) -> str:
    """An average rank, compactly: "3", "12.5" (ties share a fractional rank)."""
    r = float(rank)
    return str(int(r)) if r.is_integer() else f"{r:g}"


def abbreviate(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters with an ellipsis (never wrapped).

    >>> abbreviate("gene_000123_expression", 10)
    'gene_0001…'
    """
    return text if len(text) <= width else text[:max(width - 1, 0)] + ELLIPSIS


def _cells(result, shown):
    """(header, cells, justify) per candidate column, in display order."""
    from featkit.utils import column_digits, format_number

    info = {c.name: c for c in result.columns}
    values = result.consensus_values
    what = "Borda points" if result.aggregation == "borda" else result.aggregation.replace("_", " ")
    digits = column_digits([values[i] for i in shown])
    columns = [
        ("rank", "rank", [_fmt_rank(result.consensus_rank[i]) for i in shown], "right"),
        ("feature", "feature", [clean_text(result.features[i]) for i in shown], "left"),
        ("consensus", f"consensus\n{what}", [format_number(values[i], digits) for i in shown], "right"),
    ]
    for name, m in result.methods.items():
        d = column_digits([m.scores[i] for i in shown])
        flag = " [degenerate]" if m.degenerate else ""  # the notes say why
        cells = [f"{format_number(m.scores[i], d)} ({_fmt_rank(m.ranking[i])})" for i in shown]
        columns.append((name, f"{clean_text(name)}{flag}\nscore (rank)", cells, "right"))
    kinds = [info[result.features[i]] if result.features[i] in info else None for i in shown]
    columns += [
        ("type", "type", [c.kind if c else "" for c in kinds], "left"),
        ("missing%", "missing%", [f"{100 * c.missing_frac:.1f}" if c else "" for c in kinds], "right"),
        ("notes", "notes", [clean_text(c.note) if c else "" for c in kinds], "left"),
    ]
    return columns


def _width(header, cells):
    return max([len(line) for line in header.split("\n")] + [len(c) for c in cells])


def _layout(columns, total):
    """The keys of the columns to show and the feature column's width, within ``total``.

    A bordered table takes 3 characters per column (padding and a rule) plus 1.
    """
    widths = {key: _width(head, cells) for key, head, cells, _ in columns}
    feature_full = widths["feature"]
    feature = min(feature_full, max(MIN_FEATURE_WIDTH, total // 3))
    keys = ["rank", "feature", "consensus"]
    used = 1 + sum(widths[k] + 3 for k in keys) - widths["feature"] + feature
    for key, _, _, _ in columns[3:]:
        need = widths[key] + 3
        if key == "notes":
            need = min(need, MIN_NOTES_WIDTH + 3)
        if used + need > total:
            if key in ("type", "missing%", "notes"):
                continue
            break  # method columns stay in order: no gaps
        keys.append(key)
        used += need
    # What is left widens the feature column, up to its longest name.
    feature = max(min(feature_full, feature + total - used), min(feature_full, MIN_FEATURE_WIDTH))
    return keys, feature


def print_ranking(result, top=DEFAULT_TOP, width=None) -> None:
    """The ranking as a rich table on stdout, best first, fitted to the width, then the notes.

    Parameters
    ----------
    result : RankingResult
    top : int or None, default=DEFAULT_TOP
        Rows to print; None prints every ranked feature.
    width : int or None
        Characters per line; None takes the console's (the terminal, or
        ``COLUMNS`` when stdout is not one).
    """
    from rich.table import Table
    from rich.text import Text

    out = stdout_console() if width is None else stdout_console(width=width)
    total = out.width
    order = result.order()  # ties by feature name, never by column position
    shown = order if top is None else order[:top]
    columns = _cells(result, shown)
    keys, feature_width = _layout(columns, total)
    notes_width = min(_width(*columns[-1][1:3]), MIN_NOTES_WIDTH)
    what = f"target {result.target!r}, {result.task}" if result.target else "no target"
    table = Table(title=Text(clean_text(f"featkit ranking: {len(result.features)} features, "
                                        f"{result.n_rows:,} rows, {what}")), title_justify="left")
    chosen = [c for c in columns if c[0] in keys]
    for key, head, _, justify in chosen:
        if key == "feature":
            table.add_column(head, justify=justify, no_wrap=True, min_width=feature_width,
                             max_width=feature_width)
        elif key == "notes":
            # the one column that may wrap: rich narrows it to what is left
            table.add_column(head, justify=justify, overflow="fold", min_width=notes_width)
        else:
            table.add_column(head, justify=justify, no_wrap=True)
    for row in range(len(shown)):
        cells = []
        for key, _, values, _ in chosen:
            cell = values[row]
            cells.append(abbreviate(cell, feature_width) if key == "feature" else cell)
        table.add_row(*(Text(cell) for cell in cells))
    out.print(table)
    left_out = [key for key, _, _, _ in columns if key not in keys and key not in ("type", "missing%", "notes")]
    if left_out:
        out.print(plain_message(
            f"Not shown at {total} characters wide: {', '.join(left_out)} (a wider terminal or "
            "COLUMNS=200 shows more; the saved output (--output) has every method)."), markup=False)
    if any(len(clean_text(result.features[i])) > feature_width for i in shown):
        out.print("Long feature names are cut with an ellipsis; the saved output has them in full.")
    if top is not None and top < len(order):
        out.print(f"Showing the best {top} of {len(order)} ranked features; the other "
                  f"{len(order) - top} are in the saved output (--output), or print them all with "
                  "--top all.")
    # Excluded columns are listed unless a note already says why.
    excluded = [c for c in result.columns if not c.used
                and not any(repr(c.name) in note for note in result.notes)]
    if excluded:
        out.print(plain_message("Not ranked: " + "; ".join(
            f"{c.name} ({c.note or c.kind})" for c in excluded)), markup=False)
    for note in result.notes:
        out.print(f"note: {plain_message(note)}", markup=False)
