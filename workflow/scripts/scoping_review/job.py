"""The Snakemake job an adapter runs in, typed, so mypy (strict) checks ``workflow/scripts``.

Grain: one job (one rule run). Snakemake's ``script:`` directive runs an adapter as ``__main__``
with a ``snakemake`` object in its globals; :func:`current` returns that object behind the
:class:`Job` protocol (its parts are Snakemake's named lists: ``smk.input.records``,
``smk.log[0]``, ``for path in smk.input``).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any, Protocol, cast


class Files(Protocol):
    """A named list of a job (input, output, params, log, wildcards)."""

    def __getattr__(self, name: str) -> Any: ...

    def __getitem__(self, index: int) -> Any: ...

    def __iter__(self) -> Iterator[Any]: ...

    def __len__(self) -> int: ...


class Job(Protocol):
    """What an adapter reads of the ``snakemake`` object."""

    input: Files
    output: Files
    params: Files
    log: Files
    wildcards: Files
    threads: int


def current() -> Job:
    """The job of the adapter being run by Snakemake (an error outside the script directive)."""
    found = getattr(sys.modules.get("__main__"), "snakemake", None)
    if found is None:
        raise RuntimeError(
            "no Snakemake job: adapters under workflow/scripts run through a rule's script:"
        )
    from .seen import note

    note(str(getattr(found, "rule", "job")), found.input, found.output)
    return cast(Job, found)
