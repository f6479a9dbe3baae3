# Helpers only: lookups into the validated config. No rules here.
from pathlib import Path

from scoping_review.connectors import rounds as api_rounds

# API searches (`api:` in config) become one search per fetched round (connectors/rounds.py)
config["searches"] = api_rounds.effective_searches(config, Path("."))
SEARCHES = {s["id"]: s for s in config["searches"]}
# Optional stages (a review starts with its searches): absent or null in config = not started.
SCREENING = config.get("screening") or {}
CHARTING = config.get("charting") or {}
CODING = config.get("coding") or {}


def check_listed_files():
    """The config's values must be what the schema says (dates of the calendar included) and
    every file it lists must exist, on every run: Snakemake would otherwise keep the results
    of a file that was renamed or moved once those results exist."""
    from scoping_review import configcheck

    import yaml

    # Snakemake's validate checks the schema's types and patterns; its formats (a date of
    # the calendar) only with the format checker, as check-config does
    schema = yaml.safe_load(
        (Path(workflow.basedir) / "workflow/schemas/config.schema.yaml").read_text()
    )
    wrong = configcheck.schema_problems(
        config, schema, "config/config.yaml", formats_only=True
    ) or configcheck.repeated_ids(config, "config/config.yaml")
    if wrong:
        raise WorkflowError(
            "\n".join([*wrong, f"what to do: {configcheck.WHAT_TO_DO_CONFIG}"])
        )
    missing = configcheck.missing_files(
        config,
        lambda path: Path(path).is_file(),
        "config/config.yaml",
        lambda path: Path(path).is_dir(),
    )
    if missing:
        raise WorkflowError(
            "\n".join([*missing, f"what to do: {configcheck.WHAT_TO_DO_FILE}"])
        )


check_listed_files()
# resolved: a Snakefile named by a relative or an absolute path gives the same params
REPO_DIR = Path(workflow.basedir).resolve()
STAGE_PARTS = [
    "01_import",
    "02_dedupe",
    "03_screen",
    "03_rank",
    "04_extract",
    "05_codes",
    "06_themes",
    "07_sources",
]


def search_files(wildcards):
    return SEARCHES[wildcards.search]["files"]


def search_manifest(wildcards):
    """An API search round's manifest (the import reconciles with it); [] for exports."""
    manifest = SEARCHES[wildcards.search].get("api_manifest")
    return [manifest] if manifest else []


def app_sheets():
    """Sheets the screening app wrote: <screening.app_directory>/<stage>/<name>.csv."""
    folder = Path(SCREENING.get("app_directory") or "screening")
    return sorted(
        str(p)
        for stage in ("title_abstract", "full_text")
        for p in (folder / stage).glob("*.csv")
    )


def screening_sheets():
    return [sheet["path"] for sheet in SCREENING.get("sheets") or []] + app_sheets()


def charting_sheet():
    return [CHARTING["sheet"]] if CHARTING else []


def coding_files(key):
    """Paths of one coding input (highlights, documents, codebook); [] before coding starts."""
    value = CODING.get(key)
    if not value:
        return []
    return list(value) if isinstance(value, list) else [value]


def stages_started():
    """Which optional stages have inputs (the report says "not started" for the others)."""
    return {
        "screening": bool(screening_sheets()),
        "charting": bool(CHARTING),
        "coding": bool(CODING),
    }


def claims_file():
    path = config.get("quality", {}).get("manuscript_claims")
    return [path] if path else []


def ledger_part(stage):
    return f"results/ledger/parts/{stage}.parquet"


def code_version(script):
    """Hash of an adapter script and the package modules it imports (transitively, static):
    a rule re-runs when the code *it* uses changes (params trigger), not when any file does.
    """
    from scoping_review.fingerprint import code_fingerprint

    scripts = REPO_DIR / "workflow" / "scripts"
    return code_fingerprint(scripts / script, scripts / "scoping_review")


# Living updates: frozen versions under results/versions/ (scoping_review.versions).
def frozen_versions():
    """The versions frozen so far, read from results/versions/v*/version.json."""
    import json

    from scoping_review import versions

    found = []
    for info in sorted(Path(versions.VERSIONS_DIR).glob("v*/version.json")):
        found.append(versions.parse_version_info(json.loads(info.read_text())))
    return found


def _previous_version():
    # No frozen version yet (a first run, a dry run): skip importing the package and polars,
    # a third of the workflow's own start-up (results/versions is versions.VERSIONS_DIR).
    if not any(Path("results/versions").glob("v*/version.json")):
        return None
    from scoping_review import versions

    return versions.previous_version(
        frozen_versions(), versions.current_round(config["searches"])
    )


PREVIOUS_VERSION = _previous_version()


def previous_version_files(*names):
    """Paths of files in the previous version's folder ([] when there is none)."""
    if PREVIOUS_VERSION is None:
        return []
    folder = f"results/versions/{PREVIOUS_VERSION.dirname}"
    return [f"{folder}/{name}" for name in names]


def dedupe_decision_sheets():
    folder = Path(SCREENING.get("app_directory") or "screening") / "dedupe"
    return list(config.get("dedupe", {}).get("decisions", [])) + sorted(
        str(p) for p in folder.glob("*.csv")
    )
