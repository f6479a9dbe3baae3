"""``scoping-review init``: the files of a new review folder, as text.

:func:`scaffold` returns ``{relative path: text}``; the command line writes them (and refuses a
folder that is not empty). The config holds only what a review needs to start (title,
question, one search block to fill in, criteria); screening, charting and coding are added
when they start, and the report says "not started" for them until then.
"""

from __future__ import annotations

import datetime
import json

FOLDERS: tuple[str, ...] = ("searches", "sheets")

_CONFIG = """\
# {title}: the review's configuration. Every key is documented in config/README.md of
# scoping-review; check this file with `scoping-review check-config config/config.yaml`.
# A review starts with its searches: screening, charting and coding are added below when they
# start, and until then the report says "not started" for them.

review:
  title: {title_json}
  # short_title: "..."              # browser tab and file names
  # authors: ["First Author", "Second Author"]
  question: "What is known about ...?"   # the review question, shown in the report summary
  # objectives: "..."

# One block per database export (several files of one search go in one block). Put the
# export files in searches/; their format is detected from content (RIS, PubMed/MEDLINE,
# Web of Science, Scopus CSV, BibTeX, EndNote, ...). Two searches of one database (a re-run
# in a later round) are two blocks with their own id.
searches:
  - id: pubmed                      # lower case letters, digits, _ and -; unique
    database: PubMed
    platform: ""                    # e.g. Ovid, EBSCOhost
    date: "{today}"              # the day the search was run (YYYY-MM-DD)
    strategy: '"your terms"[tiab]'  # the strategy as run, for the report and the checklist
    files: [searches/pubmed.nbib]   # the export file(s)
    round: 1                        # 1 = the first review; 2, 3, ... for living updates

# Exclusion reasons: the codes reviewers enter in the screening sheets.
criteria:
  - code: wrong_population
    label: Population out of scope
  - code: wrong_concept
    label: Concept out of scope
  - code: no_full_text
    label: Full text not obtained
    stages: [full_text]

# Screening (add when it starts). The first run writes a worklist per reviewer and stage
# under results/03_screen/worklists/; save the filled worklists in sheets/ and list them:
# screening:
#   sheets:
#     - {{path: sheets/title_abstract_AB.xlsx, stage: title_abstract, reviewer: AB}}
#     - {{path: sheets/full_text_AB.xlsx, stage: full_text, reviewer: AB}}

# Charting (add when it starts): a sheet with one row per included study, and its form.
# charting:
#   sheet: sheets/charting.csv
#   fields:
#     - {{name: country, label: Country, type: category, count: true}}

# Coding (add when it starts): coded segments (Taguette, REFI-QDA .qdpx or a CSV of
# study,code,quote,page) and the codebook.
# coding:
#   highlights: [sheets/highlights.csv]
#   codebook: sheets/codebook.csv

# PRISMA-ScR checklist: your text for the items the data cannot fill (rationale, protocol,
# limitations, funding, ...). The report fills items 1, 4, 6-9, 11, 14, 15, 17 and 18 from this
# file and the data, and shows each item with neither as "MISSING: not reported".
# checklist:
#   "3": "Rationale: what is already known, and why a scoping review maps it."
#   "5": "Protocol: registered at ... (or: no protocol was registered)."
"""

_README = """\
# {title}

A living scoping review run with scoping-review (a Snakemake workflow). The command below is
`{command}`{where}. Next steps:

1. Export your search results and put the files in `searches/`.
2. Edit `config/config.yaml`: the review question, one `searches` block per export (id,
   database, date, strategy, files) and your exclusion criteria. Check it with
   `{command} check-config config/config.yaml`.
3. Run `{command} run --directory .` and open `results/07_report/index.html`: records
   per search, duplicates removed and the PRISMA flow so far. Screening, charting and coding
   show as "not started".
4. Screening: each reviewer fills in their worklist from
   `results/03_screen/worklists/<stage>/`; save it in `sheets/`, list it under
   `screening.sheets` in the config with their initials (`reviewer: AB`) and run again.
5. Charting and coding: add the `charting` and `coding` blocks (commented in the config)
   when you start them.

New searches later (a living update): add them as new `searches` blocks with the next
`round` and run `{command} update --directory .`.
"""

_GITIGNORE = """\
# outputs and Snakemake's state: rebuilt by `scoping-review run`; not the frozen versions
# (results/versions/, the living review's history: no run rebuilds them, commit them)
results/*
!results/versions/
.snakemake/
"""


def scaffold(
    title: str, today: datetime.date | None = None, command: str = "scoping-review"
) -> dict[str, str]:
    """The files of a new review: ``{relative path: text}`` (folders get a ``.gitkeep``).
    ``command``: how the README tells the reviewer to run the tool (its path where its name
    is not on the shell's PATH)."""
    day = (today or datetime.date.today()).isoformat()
    clean = " ".join(title.split()) or "My scoping review"
    files = {
        "config/config.yaml": _CONFIG.format(
            title=clean, title_json=json.dumps(clean, ensure_ascii=False), today=day
        ),
        "README.md": _README.format(
            title=clean,
            command=command,
            where=""
            if command == "scoping-review"
            else " (as installed on the machine that made this folder; `scoping-review` where "
            "its folder is on your PATH)",
        ),
        ".gitignore": _GITIGNORE,
    }
    for folder in FOLDERS:
        files[f"{folder}/.gitkeep"] = ""
    return files
