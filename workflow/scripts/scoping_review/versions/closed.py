"""Rounds a frozen version holds stay as that version froze them.

Grain: one problem line per search (or per file of a search). A living review reports each
search round once: frozen version N's numbers are those of its rounds' searches and files. The
next update would change them without a word if, after N was frozen,

* a search were added to one of N's rounds (a search without ``round:`` is round 1),
* a search of N moved to another round, or left the config,
* a file were added to or removed from a search of N, or
* a file N imported were replaced (its content changed; a file renamed or moved with its
  content unchanged is the same export):

the update's flow diagram would count the added records among the old rounds' and compare the
review with an older version. :func:`problems` names each such change and what to do instead
(a new search with the next round); the update stops before running anything unless the team
reopens the rounds on purpose.

Pure functions: the caller reads the newest version's ``version.json`` and ``files.parquet``
and the SHA-256 of the files the config lists now.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl


@dataclass(frozen=True)
class FrozenRounds:
    """What a frozen version holds: its rounds' searches and the files each search imported."""

    number: int
    max_round: int
    rounds: dict[int, list[str]]  # round -> search IDs
    files: dict[str, dict[str, str]]  # search ID -> path -> SHA-256

    @property
    def round_of(self) -> dict[str, int]:
        return {sid: r for r, ids in self.rounds.items() for sid in ids}


def _path(path: str) -> str:
    return posixpath.normpath(str(path).replace("\\", "/"))


def frozen_rounds(info: Mapping[str, Any], files: pl.DataFrame) -> FrozenRounds | None:
    """The rounds of a version from its ``version.json`` (``info``) and ``files.parquet``;
    None for a version that did not record its rounds."""
    if not isinstance(info.get("rounds"), Mapping):
        return None
    rounds = {int(r): [str(s) for s in ids] for r, ids in info["rounds"].items()}
    by_search: dict[str, dict[str, str]] = {}
    for sid, path, sha in files.select("source_id", "path", "sha256").iter_rows():
        by_search.setdefault(str(sid), {})[_path(path)] = str(sha)
    return FrozenRounds(int(info["number"]), int(info["max_round"]), rounds, by_search)


def listed(searches: Sequence[Mapping[str, Any]], frozen: FrozenRounds) -> list[str]:
    """The files whose content :func:`problems` compares: those the config's searches of the
    frozen rounds list now (the caller hashes them)."""
    out: list[str] = []
    for search in searches:
        if int(search.get("round", 1)) <= frozen.max_round:
            out += [_path(p) for p in search.get("files") or []]
    return sorted(set(out))


def problems(
    searches: Sequence[Mapping[str, Any]],
    frozen: FrozenRounds,
    sha256: Mapping[str, str],
    stored_rounds: Mapping[str, str] | None = None,
    advice: bool = True,
) -> list[str]:
    """How the config's searches (``searches``: id, round, files) differ from the rounds
    ``frozen`` holds; ``sha256``: the content hash of each file :func:`listed` names (a file
    missing from it is not compared); ``stored_rounds``: the folder of each saved (API)
    search's round, by the search ID its import has (a frozen one missing is its folder);
    ``advice``: each line ends with what to do instead (not when the rounds are reopened)."""
    v = f"version {frozen.number}"
    next_round = frozen.max_round + 1
    new_search = f"put new results in a new search with `round: {next_round}`"
    hashes = {_path(k): h for k, h in sha256.items()}
    round_of = frozen.round_of
    lines: list[tuple[str, str]] = []
    seen: set[str] = set()
    for search in searches:
        sid = str(search["id"])
        seen.add(sid)
        round_ = int(search.get("round", 1))
        given = "" if "round" in search else " (it has no `round:`, so round 1)"
        if sid not in round_of:
            if round_ <= frozen.max_round:
                ids = ", ".join(frozen.rounds.get(round_, [])) or "none"
                lines.append(
                    (
                        f"search {sid!r} is in round {round_}{given}, which {v} froze with the "
                        f"searches {ids}",
                        f"a search added since belongs to a new round; give it "
                        f"`round: {next_round}`",
                    )
                )
            continue
        if round_ != round_of[sid]:
            lines.append(
                (
                    f"search {sid!r} is in round {round_}{given}, but {v} froze it in round "
                    f"{round_of[sid]}",
                    f"give it `round: {round_of[sid]}` again",
                )
            )
            continue
        before = frozen.files.get(sid, {})
        now = [_path(p) for p in search.get("files") or []]
        # a file moved or renamed with its content unchanged is the same export
        gone = {before[p]: p for p in sorted(set(before) - set(now))}
        moved = {p: gone.pop(hashes[p]) for p in now if p not in before and hashes.get(p) in gone}
        for path in now:
            if path in moved:
                continue
            if path not in before:
                lines.append(
                    (
                        f"search {sid!r} (round {round_}, frozen in {v}) now lists {path}, "
                        f"which {v} did not import",
                        new_search,
                    )
                )
            elif path in hashes and hashes[path] != before[path]:
                lines.append(
                    (
                        f"{path} of search {sid!r} (round {round_}, frozen in {v}) has changed "
                        f"since {v} imported it (SHA-256 {before[path][:12]}… then, "
                        f"{hashes[path][:12]}… now)",
                        f"put back the file {v} imported, and {new_search}",
                    )
                )
        for path in sorted(set(before) - set(now) - set(moved.values())):
            lines.append(
                (
                    f"search {sid!r} (round {round_}, frozen in {v}) no longer lists {path}, "
                    f"which {v} imported",
                    "list it again",
                )
            )
    for sid in sorted(set(round_of) - seen):
        if sid in (stored_rounds or {}):
            lines.append(
                (
                    f"{(stored_rounds or {})[sid]}/ (round {round_of[sid]} of a saved search, "
                    f"frozen in {v}) is missing or incomplete",
                    "restore that folder (from version control or a backup); a round cannot be "
                    "fetched again as it was",
                )
            )
            continue
        lines.append(
            (
                f"search {sid!r} of round {round_of[sid]}, frozen in {v}, is no longer in the "
                "config",
                "put it back as it was",
            )
        )
    return [f"{what}: {todo}" if advice else what for what, todo in lines]


WHAT_TO_DO = (
    "a frozen version's rounds are reported as they were: make the change a new round, or, "
    "to change the rounds on purpose (the next version then differs from the frozen one in "
    "them), run `scoping-review update --reopen-rounds`"
)
