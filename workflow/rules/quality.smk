# Data-quality findings, and manuscript claims checked against the stage counts
# (scoping_review.quality).


rule quality:
    input:
        parts=[ledger_part(stage) for stage in STAGE_PARTS],
        files="results/01_import/files.parquet",
        rejects="results/01_import/rejects.parquet",
        studies="results/02_dedupe/studies.parquet",
        charting="results/04_extract/charting.parquet",
        unmatched="results/04_extract/unmatched.parquet",
        segments="results/05_codes/segments.parquet",
        prevalence="results/05_codes/prevalence.parquet",
        codebook="results/05_codes/codebook.parquet",
        status="results/03_screen/status.parquet",
        documents=coding_files("documents"),
        claims=claims_file(),
    output:
        issues="results/quality/issues.parquet",
        ledger=ledger_part("quality"),
    log:
        "results/logs/quality.log",
    benchmark:
        "results/logs/benchmarks/quality.tsv"
    conda:
        "../../environment.yml"
    params:
        code_version=code_version("quality.py"),
        quality=config.get("quality", {}),
        charting=CHARTING,
        stages=stages_started(),
        searches=config["searches"],
    script:
        "../scripts/quality.py"
