rule codes:
    input:
        highlights=config["coding"]["highlights"],
        documents=config["coding"]["documents"],
        codebook=config["coding"]["codebook"],
        clusters="results/02_dedupe/clusters.parquet",
        status="results/03_screen/status.parquet",
    output:
        segments="results/05_codes/segments.parquet",
        prevalence="results/05_codes/prevalence.parquet",
        ledger=ledger_part("05_codes"),
    params:
        coding=config["coding"],
    log:
        "results/logs/codes.log",
    script:
        "../scripts/codes.py"
