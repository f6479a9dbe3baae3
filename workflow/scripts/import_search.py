"""Adapter: import one search's export files (rule import_search)."""

from scoping_review import importing, job, schemas, storage


def main(smk: job.Job) -> None:
    log = storage.open_log(smk.log[0], "import_search")
    search = smk.params.search
    parts = []
    for path in smk.input:
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
    storage.write_table(records, smk.output.records, schemas.RECORDS)
    storage.write_table(rejects, smk.output.rejects, schemas.REJECTS)
    storage.write_table(files, smk.output.files, schemas.FILES)


main(job.current())
