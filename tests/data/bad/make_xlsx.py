"""Regenerate merged_formulas.xlsx (a screening sheet with merged cells and formulas).

Run from the repository root: .venv/bin/python tests/data/bad/make_xlsx.py
"""

import datetime
from pathlib import Path

import xlsxwriter

path = Path(__file__).with_name("merged_formulas.xlsx")
book = xlsxwriter.Workbook(str(path))
book.set_properties({"created": datetime.datetime(2000, 1, 1)})
sheet = book.add_worksheet("title_abstract")
sheet.write_row(0, 0, ["record_id", "decision", "reason"])
sheet.write_row(1, 0, ["scopus:r1", "include", ""])
# rows 3-4: one decision and reason typed once across two merged rows
sheet.write_string(2, 0, "scopus:r2")
sheet.write_string(3, 0, "scopus:r3")
sheet.merge_range(2, 1, 3, 1, "exclude")
sheet.merge_range(2, 2, 3, 2, "not_rupture_repair")
# row 5: a formula whose cached result is what the reviewer saw
sheet.write_string(4, 0, "scopus:r4")
sheet.write_formula(4, 1, '=IF(1=1,"include","exclude")', None, "include")
book.close()
