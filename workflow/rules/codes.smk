rule codes:
    input:
        highlights=config["coding"]["highlights"],
        documents=config["coding"].get("documents") or [],
        codebook=config["coding"]["codebook"],
        clusters="results/02_dedupe/clusters.parquet",
        status="results/03_screen/status.parquet",
    output:
        segments="results/05_codes/segments.parquet",
        prevalence="results/05_codes/prevalence.parquet",
        codebook="results/05_codes/codebook.parquet",
        ledger=ledger_part("05_codes"),
    log:
        "results/logs/codes.log",
    benchmark:
        "results/logs/benchmarks/codes.tsv"
    conda:
        "../../environment.yml"
    params:
        code_version=code_version("codes.py"),
        coding=config["coding"],
    script:
        "../scripts/codes.py"
