"""CSV and TSV files, streamed row by row with the `csv` module (quotes, embedded delimiters and
newlines), one file or several by glob.

How columns are found, when not given:

* Header: `header=None` detects one when a text or label column is given by name, or when the first
  row contains a usual column name (`TEXT_COLUMN_NAMES`, `LABEL_COLUMN_NAMES`, case-insensitive).
* With a header, the text column is the first header name in `TEXT_COLUMN_NAMES` ("text",
  "sentence", "review", ...) and the label column the first in `LABEL_COLUMN_NAMES` ("label",
  "class", ...). In a two-column file, finding one of them is enough: the other column is the rest.
* Without a header and with two columns (e.g. TREC's `LABEL<TAB>question`), the label column is
  the one with fewer distinct values among the first `check_rows` rows; on a tie, the one with the
  shorter values; on a tie again, the last column. Anything else needs `text_column=` and
  `label_column=` (0-based indices without a header).
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Iterator
from dataclasses import dataclass

from keras_restext.checks import require
from keras_restext.data.errors import DataError, shorten
from keras_restext.data.sources.common import (
    TextCheck,
    check_choice,
    check_head,
    file_options,
    list_files,
    read_files,
    skip_hint,
)
from keras_restext.data.sources.encodings import text_lines
from keras_restext.data.sources.native import with_native_delimited
from keras_restext.data.sources.paths import file_size
from keras_restext.data.textdata import Row, Tally, TextData
from keras_restext.errors import ArgumentError

TEXT_COLUMN_NAMES = (
    "text", "sentence", "review", "content", "document", "body", "question",
    "comment", "tweet", "message", "utterance", "description",
)
LABEL_COLUMN_NAMES = ("label", "labels", "class", "category", "target", "sentiment", "intent", "topic", "y")
QUOTING = {"minimal": csv.QUOTE_MINIMAL, "none": csv.QUOTE_NONE}

csv.field_size_limit(max(csv.field_size_limit(), 1 << 30))  # long documents are legitimate


@dataclass(frozen=True)
class _Layout:
    header: tuple[str, ...] | None
    num_fields: int
    text_indices: tuple[int, ...]
    label_index: int

    def describe(self, index: int) -> str:
        if self.header is None:
            return f"column {index}"
        return f"column {self.header[index]!r} ({index})"


def _is_blank(fields: list[str]) -> bool:
    return not fields or (len(fields) == 1 and not fields[0].strip())


def _records(path: str, opts: dict, tally: Tally) -> Iterator[tuple[int, list[str]]]:
    """Yields `(start_line, fields)` for every record, blank ones included."""
    lines = text_lines(path, opts["encoding"], opts["encoding_errors"], tally)
    quoting = QUOTING[opts["quoting"]]
    reader = csv.reader(lines, delimiter=opts["delimiter"], quotechar=opts["quotechar"], quoting=quoting)
    previous = 0
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            raise DataError(
                f"malformed {opts['format'].upper()} ({err})",
                path=path,
                line=previous + 1,
                expected="well-formed quoting: a quoted field ends with a closing quote",
            ) from None
        yield previous + 1, fields
        previous = reader.line_num


def _resolve_name(column, header, path: str, role: str) -> int:
    ok = isinstance(column, (str, int)) and not isinstance(column, bool)
    require(ok, role, column, "a column name or a 0-based index")
    if isinstance(column, int):
        count = len(header) if header is not None else None
        if column < 0 or (count is not None and column >= count):
            raise DataError(
                f"{role}={column} is out of range",
                path=path,
                line=1,
                expected=f"a 0-based index below {count}" if count else "a 0-based index >= 0",
            )
        return column
    if header is None:
        raise DataError(
            f"{role}={column!r} names a column, but the file has no header",
            path=path,
            line=1,
            expected="0-based column indices, or header=True if the first line is a header",
        )
    exact = [i for i, name in enumerate(header) if name == column]
    if exact:
        return _only(exact, header, path, f"{role}={column!r}", role)
    folded = [i for i, name in enumerate(header) if name.strip().lower() == column.strip().lower()]
    if folded:
        return _only(folded, header, path, f"{role}={column!r}", role)
    raise DataError(
        f"no column {column!r} in the header {list(header)}",
        path=path,
        line=1,
        expected=f"{role}= one of {list(header)} or a 0-based index",
    )


def _only(indices: list[int], header, path: str, named: str, role: str) -> int:
    """The one column of `indices`; a `DataError` naming them when the header has several."""
    if len(indices) == 1:
        return indices[0]
    columns = " and ".join(f"{header[i]!r} ({i})" for i in indices)
    raise DataError(
        f"{named} is ambiguous: the header has columns {columns}",
        path=path,
        line=1,
        expected=f"unique column names, or {role}= a 0-based index",
    )


def _find_by_name(header, names, path: str, role: str) -> int | None:
    """The column of the first of `names` in the header (case-insensitive); a `DataError` when
    several columns have that name."""
    folded = [h.strip().lower() for h in header]
    for name in names:
        if name in folded:
            found = [i for i, h in enumerate(folded) if h == name]
            return _only(found, header, path, f"the {role} column {name!r}", f"{role}_column")
    return None


def _guess_label_index(rows: list[list[str]]) -> int:
    """Of two columns, the label is the one with fewer distinct values, then shorter values, then the last."""
    def key(i):
        values = [r[i] for r in rows if len(r) == 2]
        distinct = len(set(values))
        mean_length = sum(map(len, values)) / max(len(values), 1)
        return (distinct, mean_length, -i)

    return min((0, 1), key=key)


def _layout(path: str, first: list[tuple[int, list[str]]], opts: dict) -> _Layout:
    """Decides the header and the columns from the first records of a file."""
    header, data_rows = _header_and_rows(path, first, opts)
    num_fields = len(header) if header else len(data_rows[0])
    label_index, text_indices = _columns(path, header, data_rows, num_fields, opts)
    _check_columns(path, header, num_fields, label_index, text_indices)
    return _Layout(header, num_fields, tuple(text_indices), label_index)


def _header_and_rows(
    path: str, first: list[tuple[int, list[str]]], opts: dict
) -> tuple[tuple[str, ...] | None, list[list[str]]]:
    """The header (None without one) and the non-blank data rows among the first records."""
    records = [fields for _, fields in first if not _is_blank(fields)]
    kind = opts["format"].upper()
    if not records:
        raise DataError(
            "the file is empty",
            path=path,
            expected=f"a {kind} file with a text and a label column, one example per row",
        )
    text_column, label_column = opts["text_column"], opts["label_column"]
    named = [c for c in (*(text_column or ()), label_column) if isinstance(c, str)]
    header_flag = opts["header"]
    if header_flag is None:
        usual = {name.strip().lower() for name in records[0]} & {*TEXT_COLUMN_NAMES, *LABEL_COLUMN_NAMES}
        header_flag = bool(named) or bool(usual)
    header = tuple(records[0]) if header_flag else None
    data_rows = records[1:] if header_flag else records
    if not data_rows:
        raise DataError(
            "the file has a header but no rows",
            path=path,
            line=2,
            expected="at least one row of text and label after the header",
        )
    return header, data_rows


def _columns(
    path: str, header: tuple[str, ...] | None, data_rows: list[list[str]], num_fields: int, opts: dict
) -> tuple[int | None, list[int] | None]:
    """The label column and the text columns: as given, else found by name in the header, else in a
    two-column file the other column (or the label guessed from the values); None where not found."""
    text_column, label_column = opts["text_column"], opts["label_column"]
    label_index = None if label_column is None else _resolve_name(label_column, header, path, "label_column")
    text_indices = None
    if text_column is not None:
        text_indices = [_resolve_name(c, header, path, "text_column") for c in text_column]
        twice = sorted({i for i in text_indices if text_indices.count(i) > 1})
        if twice:
            where = _Layout(header, num_fields, (), 0).describe(twice[0])
            raise DataError(
                f"text_column={text_column!r} names {where} twice",
                path=path,
                line=1,
                expected="each text column once",
            )
    if header is not None:
        if label_index is None:
            label_index = _find_by_name(header, LABEL_COLUMN_NAMES, path, "label")
        if text_indices is None:
            found = _find_by_name(header, TEXT_COLUMN_NAMES, path, "text")
            text_indices = None if found is None else [found]
    if num_fields == 2:
        if label_index is None and text_indices is not None:
            label_index = 1 - text_indices[0]
        elif text_indices is None and label_index is not None:
            text_indices = [1 - label_index]
        elif label_index is None and text_indices is None and header is None:
            label_index = _guess_label_index(data_rows)
            text_indices = [1 - label_index]
    return label_index, text_indices


def _check_columns(
    path: str, header: tuple[str, ...] | None, num_fields: int, label_index: int | None, text_indices: list[int] | None
) -> None:
    """Raises a `DataError` unless the label and text columns were found, differ and exist."""
    if label_index is None or text_indices is None:
        missing = "label" if label_index is None else "text"
        where = f"the header {list(header)}" if header else f"{num_fields} columns and no header"
        names = LABEL_COLUMN_NAMES if missing == "label" else TEXT_COLUMN_NAMES
        hint = f"a header with a {missing} column ({', '.join(names[:5])}, ...), or {missing}_column= naming it"
        raise DataError(f"cannot tell which column holds the {missing} in {where}", path=path, line=1, expected=hint)
    if label_index in text_indices:
        raise DataError(
            f"column {label_index} is both a text and the label column",
            path=path,
            line=1,
            expected="different text_column and label_column",
        )
    for index in (*text_indices, label_index):
        if index >= num_fields:
            raise DataError(
                f"column index {index} is out of range for rows of {num_fields} fields",
                path=path,
                line=1,
                expected=f"0-based indices below {num_fields}",
            )


def _field_count_error(path: str, line: int, fields: list[str], layout: _Layout, opts: dict) -> DataError:
    origin = "as in the header" if layout.header else "as in the first row"
    quote_hint = ""
    if opts["quoting"] == "minimal":
        quote_hint = f"; quote fields that contain {opts['delimiter']!r} or line breaks"
        if opts["format"] == "tsv":
            quote_hint += ", or pass quoting='none' if the file has unquoted '\"' characters"
    spans = " spanning several lines (an unclosed quote?)" if any("\n" in f for f in fields) else ""
    return DataError(
        f"row has {len(fields)} field(s){spans} ({shorten(fields)})",
        path=path,
        line=line,
        expected=f"{layout.num_fields} fields {origin}{quote_hint}{skip_hint(opts)}",
    )


def _file_rows(path: str, layout: _Layout, opts: dict, tally: Tally) -> Iterator[Row]:
    tally.start(path)
    skip = opts["on_bad_row"] == "skip"
    header_pending = layout.header is not None
    num_fields, label_index, text_indices = layout.num_fields, layout.label_index, layout.text_indices
    single_text = text_indices[0] if len(text_indices) == 1 else None
    texts = TextCheck()
    for line, fields in _records(path, opts, tally):
        if len(fields) != num_fields:
            if _is_blank(fields):
                tally.skip(path, "blank line")
                continue
            if skip:
                tally.skip(path, "wrong number of fields")
                continue
            raise _field_count_error(path, line, fields, layout, opts)
        if header_pending:
            header_pending = False
            continue
        label = fields[label_index].strip()
        if not label:
            if skip:
                tally.skip(path, "empty label")
                continue
            raise DataError(
                f"empty label in {layout.describe(label_index)}",
                path=path,
                line=line,
                expected=f"a label in every row{skip_hint(opts, ' to skip and count such rows')}",
            )
        text = fields[single_text] if single_text is not None else " ".join(fields[i] for i in text_indices)
        if not texts.found:
            texts.see(text)
        yield Row(text, label, path, line)
    texts.check(path, ", ".join(layout.describe(i) for i in text_indices))
    tally.finish(path)


def read_delimited(
    source: str,
    *,
    format: str,
    text_column=None,
    label_column=None,
    header: bool | None = None,
    label_delimiter: str | None = None,
    delimiter: str | None = None,
    quoting: str = "minimal",
    quotechar: str = '"',
    encoding: str = "utf-8",
    encoding_errors: str = "replace",
    on_bad_row: str = "error",
    check_rows: int = 1000,
    limit: int | None = None,
    chunk_size: int = 512,
    native: bool = True,
) -> TextData:
    """Reads CSV/TSV file(s); see `read_dataset` for the options. Checks every file's header and
    first `check_rows` rows now; later rows are checked as they stream. With `native`, one first
    pass in Python checks every row, and the dataset is then `tf.data`'s C++ reader when it reads
    the same examples (see `sources.native`); `native=False` keeps the Python generator."""
    opts = file_options(on_bad_row, encoding, encoding_errors)
    check_choice("quoting", quoting, tuple(QUOTING))
    if isinstance(text_column, (str, int)):
        text_column = [text_column]
    elif text_column is not None:
        text_column = list(text_column)
        if not text_column:
            raise ArgumentError(
                "`text_column` must name at least one column. Received: text_column=[]", argument="text_column"
            )
    opts.update(
        format=format,
        delimiter=delimiter or ("\t" if format == "tsv" else ","),
        quoting=quoting,
        quotechar=quotechar,
        text_column=text_column,
        label_column=label_column,
        header=header,
    )
    files = list_files(source)
    tally = Tally()
    layouts = {}
    for path in files:
        if file_size(path) == 0:
            expected = f"a {format.upper()} file with rows of text and label"
            raise DataError("the file is empty (0 bytes)", path=path, expected=expected)
        first = list(itertools.islice(_records(path, opts, tally), max(check_rows, 2) + 1))
        layouts[path] = layout = _layout(path, first, opts)
        # Fail now, not in the middle of training, on a bad row near the top of a file.
        check_head(lambda options, counts: _file_rows(path, layout, options, counts), path, opts, check_rows)
    data = read_files(
        source,
        files,
        lambda path: _file_rows(path, layouts[path], opts, tally),
        format=format,
        tally=tally,
        limit=limit,
        label_delimiter=label_delimiter,
        chunk_size=chunk_size,
    )
    return with_native_delimited(data, files, [layouts[path] for path in files], opts, limit, tally) if native else data


__all__ = ["LABEL_COLUMN_NAMES", "TEXT_COLUMN_NAMES", "read_delimited"]
