"""The study texts the ranking's term counts read: title, abstract and keywords joined, made a
chunk of rows at a time so that only one chunk is held as Python strings.

Grain: one text per row of a study frame (in the frame's order). Pure: frames in, strings out.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import overload

import numpy as np
import numpy.typing as npt
import polars as pl

TEXT_COLUMNS = ("title", "abstract", "keywords")  # a study's text, in this order
CHUNK = 4_000  # texts made (and tokenised, :mod:`.term_counts`) per batch


class TextSequence(Sequence[str]):
    """Texts made on demand by ``_text`` (subclasses), indexed as a list is: negative indices,
    slices, IndexError past the end."""

    def _text(self, index: int) -> str:
        raise NotImplementedError

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> list[str]: ...

    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            return [self._text(i) for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        return self._text(index)


class _Rows(TextSequence):
    """The texts at ``rows`` (ascending) of ``texts``, without copying them out: a sequence
    that makes its texts a chunk at a time stays read in order."""

    def __init__(self, texts: Sequence[str], rows: npt.NDArray[np.int64]) -> None:
        self._texts = texts
        self._rows: list[int] = rows.tolist()

    def __len__(self) -> int:
        return len(self._rows)

    def _text(self, index: int) -> str:
        return self._texts[self._rows[index]]


def _text_expr(frame: pl.DataFrame) -> pl.Expr | None:
    parts: list[pl.Expr] = []
    for col in TEXT_COLUMNS:
        if col not in frame.columns:
            continue
        dtype = frame.schema[col]
        expr = pl.col(col).list.join(" ") if isinstance(dtype, pl.List) else pl.col(col)
        parts.append(expr.cast(pl.String).fill_null(""))
    return pl.concat_str(parts, separator=" ").alias("t") if parts else None


def record_text(frame: pl.DataFrame) -> list[str]:
    """Title, abstract and keywords of each row joined into one text (missing parts empty)."""
    expr = _text_expr(frame)
    return [""] * frame.height if expr is None else frame.select(expr)["t"].to_list()


class StudyTexts(TextSequence):
    """:func:`record_text` of ``frame`` as a sequence made ``chunk`` rows at a time: read in
    order (as the term counts read them), only one chunk of texts is held as Python strings
    (at 1M studies the whole list is about a gigabyte)."""

    def __init__(self, frame: pl.DataFrame, chunk: int = CHUNK) -> None:
        self._frame = frame
        self._chunk = chunk
        self._at = -1
        self._texts: list[str] = []

    def __len__(self) -> int:
        return self._frame.height

    def utf8_chunks(self) -> Iterator[list[bytes]]:
        """Every text encoded as UTF-8, in order, a chunk of rows at a time: made by polars
        (a cast of the joined column to bytes) without a Python string per text, which is
        what hashing them needs (``str.encode`` of 700k texts took 2.1 s, this 1.0 s)."""
        for at in range(0, self._frame.height, self._chunk):
            rows = self._frame.slice(at, self._chunk)
            expr = _text_expr(rows)
            if expr is None:
                yield [b""] * rows.height
            else:
                yield rows.select(expr.cast(pl.Binary))["t"].to_list()

    def _text(self, index: int) -> str:
        block = index // self._chunk
        if block != self._at:
            rows = self._frame.slice(block * self._chunk, self._chunk)
            self._texts = record_text(rows)
            self._at = block
        return self._texts[index - block * self._chunk]
