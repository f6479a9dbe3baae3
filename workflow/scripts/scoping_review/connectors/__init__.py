"""Saved searches re-run against bibliographic APIs (PubMed, OpenAlex, Europe PMC, Crossref).

* :mod:`.apis`: what each API is (base URL, rate limit, paging, where its totals and errors
  are in a response); pure functions over response bytes.
* :mod:`.client`: the HTTP client (requests + urllib3 ``Retry``: bounded retries with
  exponential backoff and jitter on 429/5xx/timeouts, ``Retry-After`` honoured, a minimum
  interval between requests per API); credentials are added here and never leave it.
* :mod:`.fetch`: ``scoping-review search``: one round of each API search, stored byte for byte
  page by page under the review folder with a manifest (an adapter: it does the I/O).
* :mod:`.rounds`: which rounds are complete and the import searches they become (pure, plus
  one small reader of the manifests); reconciliation of a round's import with its manifest.
* :mod:`.formats`: the importers for the JSON pages (OpenAlex works, Europe PMC search,
  Crossref works); PubMed efetch pages are PubMed XML, read by the existing importer.
"""
