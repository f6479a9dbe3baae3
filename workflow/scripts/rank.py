"""Adapter: rank the studies awaiting screening, evaluate the living rounds and write the
worklists in rank order (rule rank).

Split from rule screen, whose statuses the rest of the workflow waits for: extraction, coding,
themes and sources run while the models are fitted here. Quality, changes, the ledger and the
report read this rule's counts (ledger part ``03_rank``) and wait for it.

The ranking's term counts (``results/cache/screen/terms``, not a declared output: Snakemake
would delete it before the rule runs) let an update tokenise only the study texts it has not
seen; a missing, stale or unreadable cache means tokenising every text, said in the log, with
the same result. The living rounds' orders are kept beside them
(``results/cache/screen/rounds``), keyed by everything an order depends on.
"""

import hashlib
import io
import json
import logging
from collections.abc import Iterator, Mapping
from logging import Logger
from pathlib import Path

import polars as pl

from scoping_review import (
    job,
    ledger,
    living_rounds,
    normalize,
    phases,
    preload,
    prioritisation,
    ranking,
    schemas,
    screen,
    spreadsheet,
    storage,
    term_counts,
    typed_worklists,
    worklists,
)


def main(smk: job.Job) -> None:
    log = storage.open_log(smk.log[0], "rank")
    clock = phases.PhaseClock()
    cfg = smk.params.screening
    criteria = smk.params.criteria
    settings = screen.Settings.from_config(cfg)
    prio = prioritisation.Settings.from_config(cfg.get("prioritisation"))
    # the models' library (scikit-learn, a second or more to import) loads meanwhile
    loading = preload.start(preload.RANKING if prio.enabled else [])
    status = storage.read_table(smk.input.status, schemas.STATUS)
    clusters = storage.read_table(smk.input.clusters, schemas.CLUSTERS)
    # the study texts, the keywords of their representative records and each record's search
    # (its round): the records' other columns (their abstracts above all) are not read
    records = storage.read_columns(
        smk.input.records, ["record_id", "source_id", "search_date", "keywords"]
    )
    studies = storage.read_table(smk.input.studies, schemas.STUDIES)
    texts = prioritisation.study_texts(studies, records)
    del studies
    records = records.drop("keywords")
    # one TF-IDF of the study texts for the pending ranking and every round's evaluation
    terms = storage.DirectoryStore(smk.params.term_cache)
    loading.wait()
    term_meta = term_counts.cache_meta(prio.ranking)
    cached, term_parts = read_term_cache(terms, term_meta, log) if prio.enabled else (None, [])

    def keep(cache: term_counts.TermCache | None, added: term_counts.CacheParts) -> None:
        clock.lap("TF-IDF features")  # computed when a ranking first needs them
        write_term_cache(terms, cache, term_parts, added, term_meta, log)
        clock.lap("term cache written")

    # the term counts are kept for the next run as soon as the features are computed, and
    # then let go, before any model is fitted (at 1M records they are about a gigabyte); so
    # are the texts, which `shared` alone holds from here: the models are fitted with no
    # text in memory
    shared = ranking.SharedFeatures(texts, prio.ranking, cached, keep=keep, workers=smk.threads)
    del cached, texts
    ids = shared.ids.to_frame()
    clock.lap("inputs read")
    ranked = (
        prioritisation.rank_pending(ids, status, prio.ranking, shared, smk.threads)
        if prio.enabled
        else schemas.RANKING.empty()
    )
    clock.lap("pending ranking")
    memo_store = storage.DirectoryStore(smk.params.round_cache)

    def subset_features(wanted: list[str]) -> ranking.Features:
        # a round's population short of every study: its features from the term counts just
        # kept (read again: they were let go), tokenising only what they lack
        return population_features(
            smk.input.studies, smk.input.records, wanted, terms, term_meta, prio.ranking, log
        )

    search_rounds = {
        str(search["id"]): int(search.get("round", 1)) for search in smk.params.searches
    }
    rounds = (
        living_rounds.rounds(
            ids,
            status,
            living_rounds.study_rounds(clusters, records, search_rounds),
            prio.ranking,
            shared,
            smk.threads,
            memo=StoreMemo(memo_store),
            subset=subset_features,
        )
        if prio.enabled
        else []
    )
    del shared, records, clusters
    write_round_memo(memo_store, rounds, log)
    clock.lap("living rounds")
    studies = storage.read_table(smk.input.studies, schemas.STUDIES)
    decisions = storage.read_table(smk.input.decisions, schemas.DECISIONS)
    lists = worklists.worklists(
        studies, status, decisions, settings, ranked if prio.enabled else None
    )
    counts = [
        *worklists.worklist_counts(lists),
        *(prioritisation.ranking_counts(ranked, status) if prio.enabled else []),
        *prioritisation.round_counts(rounds),
    ]
    storage.write_table(ranked, smk.output.ranking, schemas.RANKING)
    storage.write_table(living_rounds.rounds_table(rounds), smk.output.rounds, schemas.ROUNDS)
    out = Path(smk.output.worklists)
    for (stage, reviewer), frame in sorted(lists.items()):
        name = normalize.file_stem(reviewer)
        storage.write_xlsx(
            [worklists.worklist_sheet(frame, stage, criteria)], out / stage / f"{name}.xlsx"
        )
        (out / stage).mkdir(parents=True, exist_ok=True)
        spreadsheet.neutralise(frame).write_csv(out / stage / f"{name}.csv")
    out.mkdir(parents=True, exist_ok=True)
    typed_worklists.record_written(out)  # a worklist as written is not read before a run
    inputs = storage.input_hashes(
        [
            smk.input.clusters,
            smk.input.studies,
            smk.input.records,
            smk.input.decisions,
            smk.input.status,
        ]
    )
    storage.write_table(ledger.to_frame(counts, inputs), smk.output.ledger, schemas.LEDGER)
    pending = {k: v.height for k, v in sorted(lists.items())}
    log.info(f"worklists (stage, reviewer) -> pending studies: {pending}")
    clock.lap("worklists and outputs")
    labels = living_rounds.ta_labels(status)
    excluded = int((labels["label"] == 0).sum())
    cap = prio.ranking.max_excludes
    learnt = cap if ranking.capped(labels["label"].to_numpy(), prio.ranking) else excluded
    fitted = sum(1 for r in rounds if r.key is not None and not r.reused)
    log.info(
        f"rank phases, wall s: {clock.summary()}; the pending ranking: {ranked.height} studies "
        f"awaiting title/abstract screening, {labels.height} title/abstract decisions to learn "
        f"from ({excluded} excludes, {learnt} of them learnt: max_excludes {cap}); "
        f"living rounds: {fitted} evaluated anew, {sum(r.reused for r in rounds)} reused"
    )


class StoreMemo(Mapping[str, list[str]]):
    """The living rounds' orders earlier runs kept (:func:`living_rounds.rounds`' memo), read
    from the store when asked for; an entry that cannot be read is a miss."""

    def __init__(self, store: storage.DirectoryStore) -> None:
        self.store = store
        self._read: dict[str, list[str] | None] = {}

    def _load(self, key: str) -> list[str] | None:
        if key not in self._read:
            data = self.store.get(key)
            try:
                got = None if data is None else pl.read_parquet(io.BytesIO(data))
                self._read[key] = None if got is None else got["study_id"].to_list()
            except Exception:  # an unreadable entry is only a model fitted again
                self._read[key] = None
        return self._read[key]

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self._load(key) is not None

    def __getitem__(self, key: str) -> list[str]:
        got = self._load(key)
        if got is None:
            raise KeyError(key)
        return got

    def __iter__(self) -> Iterator[str]:
        return iter(k for k, v in self._read.items() if v is not None)

    def __len__(self) -> int:
        return sum(v is not None for v in self._read.values())


def write_round_memo(
    store: storage.DirectoryStore, results: list[living_rounds.RoundResult], log: Logger
) -> None:
    """Keep this run's round orders for the next run, and only those."""
    keys = []
    for r in results:
        if r.key is None or r.order is None:
            continue
        keys.append(r.key)
        if not r.reused:
            store.put(r.key, _parquet(pl.DataFrame({"study_id": list(r.order)})))
        how = (
            "reused from the last run"
            if r.reused
            else "fitted (no kept order for its texts, earlier decisions and settings)"
        )
        log.info(f"living round {r.round}: evaluation {how} ({len(r.order)} studies)")
    store.keep_only(keys)


def population_features(
    studies_path: str,
    records_path: str,
    wanted: list[str],
    terms: storage.DirectoryStore,
    meta: dict[str, str],
    settings: ranking.RankingSettings,
    log: Logger,
) -> ranking.Features:
    """TF-IDF of the studies ``wanted`` (sorted), from the term counts in ``terms``."""
    ids = pl.Series("study_id", wanted, dtype=pl.String)
    studies = (
        pl.scan_parquet(studies_path).filter(pl.col("study_id").is_in(ids.implode())).collect()
    )
    keywords = pl.scan_parquet(records_path).select("record_id", "keywords")
    reps = studies.select(pl.col("representative_record_id").alias("record_id"))
    records = keywords.join(reps.lazy(), on="record_id", how="semi").collect()
    texts = prioritisation.study_texts(studies, records).sort("study_id")
    cache, _ = read_term_cache(terms, meta, QUIET)
    held = 0 if cache is None else cache.docs.height
    log.info(
        f"living rounds: TF-IDF of the {len(wanted)} studies known by an earlier round, "
        f"from the term counts ({held} texts' counts; any missing are tokenised)"
    )
    feats, _ = term_counts.features_with_cache(term_counts.StudyTexts(texts), settings, cache)
    return feats


# the term cache read again for a round's population: it was read and written above, and the
# log says so once (a handler that drops records, added once per process, not per read)
QUIET = logging.getLogger("scoping_review.rank.population")
QUIET.addHandler(logging.NullHandler())
QUIET.propagate = False
MANIFEST = "0" * 16  # the cache's list of parts (entries are named by hex digests)
MAX_PARTS = 12  # parts appended before the cache is rewritten as one


def _parquet(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.write_parquet(buffer, compression="lz4", statistics=False)
    return buffer.getvalue()


def read_term_cache(
    store: storage.DirectoryStore, meta: dict[str, str], log: Logger
) -> tuple[term_counts.TermCache | None, list[dict[str, str]]]:
    """The term counts earlier runs left and the manifest's parts, or None (and why, in the
    log) with no parts."""
    raw = store.get(MANIFEST)
    if raw is None:
        log.info("ranking term cache: none; study texts are tokenised when a ranking needs them")
        return None, []
    try:
        manifest = json.loads(raw)
        if manifest["meta"] != meta:
            log.info("ranking term cache: written with other settings or libraries; not reused")
            return None, []
        frames: dict[str, list[pl.DataFrame]] = {"vocab": [], "docs": []}
        for part in manifest["parts"]:
            for kind in frames:
                data = store.get(part[kind])
                if data is None:
                    raise OSError(f"part {part[kind]} is missing")
                frames[kind].append(pl.read_parquet(io.BytesIO(data)))
        cache = term_counts.TermCache(
            meta,
            pl.concat(frames["vocab"]).cast(term_counts.VOCAB_SCHEMA),
            pl.concat(frames["docs"]).cast(term_counts.DOCS_SCHEMA),
        )
        problem = term_counts.check_cache(cache)
        if problem is not None:
            raise ValueError(problem)
    except Exception as error:  # an unreadable cache is only a slower run
        log.info(f"ranking term cache: unreadable ({type(error).__name__}: {error}); not reused")
        return None, []
    log.info(f"ranking term cache: {cache.docs.height} texts' counts, {cache.vocab.height} terms")
    return cache, list(manifest["parts"])


def write_term_cache(
    store: storage.DirectoryStore,
    cache: term_counts.TermCache | None,
    parts: list[dict[str, str]],
    added: term_counts.CacheParts,
    meta: dict[str, str],
    log: Logger,
) -> None:
    """Append this run's counts as a part after the ``parts`` read, or rewrite the cache as
    one part (no cache read, or :data:`MAX_PARTS` parts); the manifest is written last."""
    parts = list(parts)
    if cache is not None and added.empty:
        return
    if cache is None or len(parts) >= MAX_PARTS:
        whole = term_counts.compacted(cache or term_counts.TermCache.empty(meta), added)
        frames = {"vocab": whole.vocab, "docs": whole.docs}
        parts = []
    else:
        frames = {"vocab": added.vocab, "docs": added.docs}
    part: dict[str, str] = {}
    for kind, frame in frames.items():
        data = _parquet(frame)
        key = hashlib.blake2b(data, digest_size=16).hexdigest()
        store.put(key, data)
        part[kind] = key
    parts.append(part)
    store.put(MANIFEST, json.dumps({"meta": meta, "parts": parts}).encode())
    store.keep_only([MANIFEST, *(k for p in parts for k in p.values())])
    log.info(f"ranking term cache: {len(parts)} part(s); {added.docs.height} texts added")


main(job.current())
