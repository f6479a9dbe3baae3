"""A frozen version's manifest: a Workflow Run RO-Crate of its inputs, outputs and run."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def manifest(
    *,
    number: int,
    round_: int,
    review_title: str,
    tool_version: str,
    config_path: str,
    config_sha256: str,
    inputs: Sequence[tuple[str, str]],
    outputs: Sequence[tuple[str, str]],
    packages: Mapping[str, str],
    start_time: str,
    end_time: str,
    command: str,
    previous: int | None,
) -> dict[str, Any]:
    """A Workflow Run RO-Crate (Process Run Crate profile) describing one frozen version.

    ``inputs``/``outputs`` are (path, sha256); output paths are relative to the version folder.
    """
    profile = "https://w3id.org/ro/wfrun/process/0.5"
    in_ids = [{"@id": f"#input/{p}"} for p, _ in inputs]
    out_ids = [{"@id": p} for p, _ in outputs]
    graph: list[dict[str, Any]] = [
        {
            "@id": "ro-crate-metadata.json",
            "@type": "CreativeWork",
            "conformsTo": [{"@id": "https://w3id.org/ro/crate/1.1"}, {"@id": profile}],
            "about": {"@id": "./"},
        },
        {
            "@id": "./",
            "@type": "Dataset",
            "name": f"{review_title}: version {number}",
            "description": f"Frozen version {number} of a living scoping review "
            f"(search round {round_})"
            + (f"; previous version {previous}" if previous else "; first version"),
            "datePublished": end_time,
            "conformsTo": {"@id": profile},
            "hasPart": out_ids,
            "mentions": {"@id": "#run"},
            "version": str(number),
        },
        {"@id": profile, "@type": "CreativeWork", "name": "Process Run Crate", "version": "0.5"},
        {
            "@id": "#run",
            "@type": "CreateAction",
            "name": f"scoping-review update (version {number})",
            "description": command,
            "startTime": start_time,
            "endTime": end_time,
            "actionStatus": {"@id": "http://schema.org/CompletedActionStatus"},
            "instrument": {"@id": "#scoping-review"},
            "object": [{"@id": "#config"}, *in_ids],
            "result": out_ids,
        },
        {
            "@id": "#scoping-review",
            "@type": "SoftwareApplication",
            "name": "scoping-review",
            "version": tool_version,
            "softwareRequirements": [{"@id": f"#package/{n}"} for n in sorted(packages)],
        },
        {
            "@id": "#config",
            "@type": "File",
            "name": config_path,
            "sha256": config_sha256,
            "encodingFormat": "application/yaml",
        },
    ]
    graph += [
        {"@id": f"#package/{n}", "@type": "SoftwareApplication", "name": n, "version": v}
        for n, v in sorted(packages.items())
    ]
    graph += [{"@id": f"#input/{p}", "@type": "File", "name": p, "sha256": h} for p, h in inputs]
    graph += [{"@id": p, "@type": "File", "name": p, "sha256": h} for p, h in outputs]
    return {"@context": "https://w3id.org/ro/crate/1.1/context", "@graph": graph}
