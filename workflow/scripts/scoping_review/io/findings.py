"""What a line-tagged parse noticed and tolerated, as numbers (counts, first lines), so that the
findings of blocks of one export merge exactly into those of the whole export, and the notes
they give."""

from __future__ import annotations

from dataclasses import dataclass

from ..wording import first_few


@dataclass
class Findings:
    """What a parse noticed, kept as numbers so that blocks merge exactly: per flag its count
    and first five (1-based) lines; the first 20 records without an end tag (start line, the
    line before which the end tag was missing) and how many there were."""

    counts: dict[str, int]
    first: dict[str, list[int]]
    open_recs: list[tuple[int, int]]
    n_open: int

    @classmethod
    def merged(cls, parts: list[Findings]) -> Findings:
        """The findings of consecutive blocks as those of their whole text."""
        found = cls({}, {}, [], 0)
        for f in parts:
            for flag, count in f.counts.items():
                found.counts[flag] = found.counts.get(flag, 0) + count
                found.first[flag] = (found.first.get(flag, []) + f.first.get(flag, []))[:5]
            found.open_recs = (found.open_recs + f.open_recs)[:20]
            found.n_open += f.n_open
        return found

    def notes(self, end_tag: str | None, indent_rule: bool) -> list[str]:
        """The notes, in a fixed order (``indent_rule``: the format wants continuation lines
        indented, so unindented ones are noted)."""
        counts = self.counts

        def first(flag: str) -> str:
            return first_few(list(self.first.get(flag, [])), counts[flag])

        notes: list[str] = []
        if counts.get("false_end"):
            notes.append(
                f"{counts['false_end']} {end_tag} line(s) followed by more fields of the same "
                f"record (Ovid's NL after {end_tag}; or an end tag inside a field), those fields "
                f"kept in the record: line(s) {first('false_end')}"
            )
        if counts.get("stray_end"):
            notes.append(
                f"{counts['stray_end']} {end_tag} line(s) without a record before them "
                f"(an empty trailing record) ignored: line(s) {first('stray_end')}"
            )
        if counts.get("stray"):
            notes.append(
                f"{counts['stray']} line(s) of text outside any record ignored (e.g. numbered "
                f"'1.' lines, link lines, headers): line(s) {first('stray')}"
            )
        if counts.get("joined"):
            notes.append(
                f"{counts['joined']} blank line(s) inside a record (the lines after them have no "
                f"PMID of their own), read as part of the record before: the lines from line(s) "
                f"{first('joined')}"
            )
        if counts.get("tag_like"):
            notes.append(
                f"{counts['tag_like']} line(s) inside a record look like tag lines written "
                f"in lower case, read as more of the field before: "
                f"line(s) {first('tag_like')}; write their tags as 'XX  - ' to read them as fields"
            )
        if counts.get("bad_cont") and indent_rule:
            notes.append(
                f"{counts['bad_cont']} untagged line(s) inside a record without the continuation "
                f"indent, read as continuations: line(s) {first('bad_cont')}"
            )
        for line_no, until in self.open_recs:
            notes.append(
                f"record starting at line {line_no} has no {end_tag} before line {until}; kept"
            )
        if self.n_open > 20:
            notes.append(f"... {self.n_open - 20} more record(s) without {end_tag}, all kept")
        return notes
