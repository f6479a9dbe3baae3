"""Adapter: import one search's export files (rule import_search).

An API search round (connectors/) is reconciled with its manifest: each page's records parsed +
rejected equal the records the fetch counted, their sum the records retrieved, and that the total
the API reported; each page's SHA-256 is the one recorded when it was fetched.
"""

import json

from scoping_review import importing, job, schemas, storage
from scoping_review.connectors import rounds


def main(smk: job.Job) -> None:
    log = storage.open_log(smk.log[0], "import_search")
    search = smk.params.search
    parts = []
    for path in smk.input.files:
        meta = importing.SourceMeta(search["id"], search["database"], str(search["date"]), path)
        part = importing.import_export(
            storage.read_bytes(path),
            meta,
            fmt=search.get("format", "auto"),
            encoding=search.get("encoding"),
            columns=search.get("columns"),
        )
        row = part.file_row
        log.info(
            f"{path}: {row['format']} ({row['encoding']}, {row['encoding_note']}); "
            f"{row['n_raw']} record starts, {row['n_parsed']} parsed, {row['n_rejected']} rejected"
        )
        for note in part.notes:
            log.warning(f"{path}: {note}")
        parts.append(part)
    records, rejects, files = importing.combine(parts)
    if smk.input.manifest:
        manifest = json.loads(storage.read_bytes(smk.input.manifest[0]))
        problems = rounds.reconcile(search["id"], manifest, files.to_dicts())
        if problems:
            raise importing.ImportError_("; ".join(problems))
        log.info(
            f"{search['id']}: {manifest['retrieved']} records retrieved = "
            f"{manifest['reported_total']} reported by the API = parsed + rejected"
        )
    storage.write_table(records, smk.output.records, schemas.RECORDS)
    storage.write_table(rejects, smk.output.rejects, schemas.REJECTS)
    storage.write_table(files, smk.output.files, schemas.FILES)


main(job.current())
