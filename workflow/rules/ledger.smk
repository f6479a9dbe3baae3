rule quality:
    input:
        parts=[ledger_part(stage) for stage in STAGE_PARTS],
        files="results/01_import/files.parquet",
        studies="results/02_dedupe/studies.parquet",
        charting="results/04_extract/charting.parquet",
        unmatched="results/04_extract/unmatched.parquet",
        segments="results/05_codes/segments.parquet",
        prevalence="results/05_codes/prevalence.parquet",
        documents=config["coding"]["documents"],
        claims=claims_file(),
    output:
        issues="results/quality/issues.parquet",
        ledger=ledger_part("quality"),
    log:
        "results/logs/quality.log",
    conda:
        "../../environment.yml"
    params:
        code_version=CODE_VERSION,
        quality=config.get("quality", {}),
        charting=config["charting"],
    script:
        "../scripts/quality.py"


rule ledger:
    input:
        parts=[ledger_part(stage) for stage in [*STAGE_PARTS, "quality", "08_changes"]],
    output:
        ledger="results/ledger/counts.parquet",
    log:
        "results/logs/ledger.log",
    conda:
        "../../environment.yml"
    params:
        code_version=CODE_VERSION,
    script:
        "../scripts/ledger.py"
