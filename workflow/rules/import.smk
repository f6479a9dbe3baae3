rule import_search:
    input:
        files=search_files,
        manifest=search_manifest,
    output:
        records="results/01_import/by_search/{search}/records.parquet",
        rejects="results/01_import/by_search/{search}/rejects.parquet",
        files="results/01_import/by_search/{search}/files.parquet",
    log:
        "results/logs/import_search/{search}.log",
    benchmark:
        "results/logs/benchmarks/import_search/{search}.tsv"
    conda:
        "../../environment.yml"
    params:
        code_version=code_version("import_search.py"),
        search=lambda wildcards: SEARCHES[wildcards.search],
    script:
        "../scripts/import_search.py"


rule import_merge:
    input:
        records=expand(
            "results/01_import/by_search/{search}/records.parquet", search=SEARCHES
        ),
        rejects=expand(
            "results/01_import/by_search/{search}/rejects.parquet", search=SEARCHES
        ),
        files=expand(
            "results/01_import/by_search/{search}/files.parquet", search=SEARCHES
        ),
    output:
        # a directory of the searches' tables, read as one (storage.link_table_parts)
        records=directory("results/01_import/records.parquet"),
        rejects="results/01_import/rejects.parquet",
        files="results/01_import/files.parquet",
        ledger=ledger_part("01_import"),
    log:
        "results/logs/import_merge.log",
    benchmark:
        "results/logs/benchmarks/import_merge.tsv"
    conda:
        "../../environment.yml"
    params:
        code_version=code_version("import_merge.py"),
        searches=config["searches"],
    script:
        "../scripts/import_merge.py"
