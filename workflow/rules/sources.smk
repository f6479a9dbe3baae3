# Studies per search and the overlap between searches, as ledger counts
# (scoping_review.sources).


rule sources:
    input:
        records="results/01_import/records.parquet",
        clusters="results/02_dedupe/clusters.parquet",
        status="results/03_screen/status.parquet",
    output:
        ledger=ledger_part("07_sources"),
    log:
        "results/logs/sources.log",
    benchmark:
        "results/logs/benchmarks/sources.tsv"
    conda:
        "../../environment.yml"
    params:
        code_version=code_version("sources.py"),
    script:
        "../scripts/sources.py"
