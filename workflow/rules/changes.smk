# Living updates: what changed since the previous frozen version (scoping_review.versions).
# Versions themselves are frozen by `scoping-review update` after a run with nothing pending.


rule changes:
    input:
        records="results/01_import/records.parquet",
        clusters="results/02_dedupe/clusters.parquet",
        status="results/03_screen/status.parquet",
        parts=[ledger_part(stage) for stage in [*STAGE_PARTS, "quality"]],
        previous=previous_version_files(
            "clusters.parquet", "status.parquet", "counts.parquet"
        ),
    output:
        changes="results/08_changes/changes.parquet",
        ledger=ledger_part("08_changes"),
    log:
        "results/logs/changes.log",
    benchmark:
        "results/logs/benchmarks/changes.tsv"
    conda:
        "../../environment.yml"
    params:
        code_version=code_version("changes.py"),
        previous_version=PREVIOUS_VERSION.number if PREVIOUS_VERSION else 0,
    script:
        "../scripts/changes.py"
