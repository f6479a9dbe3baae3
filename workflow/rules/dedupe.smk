rule dedupe:
    input:
        records="results/01_import/records.parquet",
    output:
        clusters="results/02_dedupe/clusters.parquet",
        studies="results/02_dedupe/studies.parquet",
        ledger=ledger_part("02_dedupe"),
    log:
        "results/logs/dedupe.log",
    conda:
        "../../environment.yml"
    params:
        code_version=CODE_VERSION,
        settings=config.get("dedupe", {}),
    script:
        "../scripts/dedupe.py"
