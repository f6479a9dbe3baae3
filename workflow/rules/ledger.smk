# The counts ledger: every stage's counts joined; contract, PRISMA identities and conservation
# checked (scoping_review.ledger, scoping_review.conservation).


rule ledger:
    input:
        parts=[ledger_part(stage) for stage in [*STAGE_PARTS, "quality", "08_changes"]],
        # stage tables for the conservation checks (scoping_review.conservation)
        files="results/01_import/files.parquet",
        records="results/01_import/records.parquet",
        rejects="results/01_import/rejects.parquet",
        clusters="results/02_dedupe/clusters.parquet",
        studies="results/02_dedupe/studies.parquet",
        status="results/03_screen/status.parquet",
    output:
        ledger="results/ledger/counts.parquet",
    log:
        "results/logs/ledger.log",
    benchmark:
        "results/logs/benchmarks/ledger.tsv"
    conda:
        "../../environment.yml"
    params:
        code_version=code_version("ledger.py"),
        searches=list(SEARCHES),
        stages=stages_started(),
    script:
        "../scripts/ledger.py"
