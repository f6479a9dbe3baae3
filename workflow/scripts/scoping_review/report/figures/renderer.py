"""Figure renderings (SVG, PNG, PDF) through vl-convert, reused when a spec has not changed.

Grain: one rendering of one Vega-Lite spec in one format. Drawing a figure is the report's
largest fixed cost (vl-convert lays the chart out in a JavaScript runtime), yet a living
update changes few of them: the flow diagram and the per-source charts change with a new
search, the synthesis figures usually do not. A :class:`Renderer` therefore

* draws each spec once and rasterises the PNG from that SVG (``svg_to_png`` on the drawing
  gives the same bytes as ``vegalite_to_png`` on the spec, without laying it out again);
* with a :class:`BlobStore`, keeps each rendering under a key that is the SHA-256 of the
  spec's canonical JSON (its data included), the format and the vl-convert version, so a
  byte-identical spec is not drawn again. Entries carry their key and the SHA-256 of their
  payload: a truncated, corrupted or misplaced entry fails :func:`unpack` and is drawn again.

The store is given by the caller (the adapter passes an on-disk one,
:class:`scoping_review.storage.DirectoryStore`); the package itself touches no path.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import json
import os
import threading
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from typing import Any, Protocol

import vl_convert as vlc

# bump when what is stored under a key changes (a new header, a new way of drawing)
CACHE_FORMAT = "scoping-review figure cache 1"
PNG_SCALE = 2


class BlobStore(Protocol):
    """Where renderings are kept between runs: bytes by key (a hex string)."""

    def get(self, key: str) -> bytes | None: ...

    def put(self, key: str, data: bytes) -> None: ...


def single_weight(node: Any) -> Any:
    """``node`` with every bold font weight made normal.

    vl-convert's PDF writer orders its font objects non-deterministically when a drawing
    embeds more than one font (regular and bold); with one font its output is stable.
    """
    if isinstance(node, dict):
        return {
            k: ("normal" if k.endswith("ontWeight") and v == "bold" else single_weight(v))
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [single_weight(v) for v in node]
    return node


# where vl-convert looks for system fonts (fontdb's Linux/macOS folders); a font added,
# removed or replaced there may draw the same spec differently
FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", "~/.local/share/fonts", "~/.fonts",
             "/Library/Fonts", "/System/Library/Fonts", "~/Library/Fonts")  # fmt: skip


@functools.cache
def fonts_fingerprint() -> str:
    """SHA-256 of the path, size and modification time of every font file vl-convert can see."""
    digest = hashlib.sha256()
    for folder in FONT_DIRS:
        root = os.path.expanduser(folder)
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames.sort()
            for name in sorted(filenames):
                path = os.path.join(dirpath, name)
                try:
                    info = os.stat(path)
                except OSError:
                    continue
                digest.update(f"{path}\0{info.st_size}\0{info.st_mtime_ns}\n".encode())
    return digest.hexdigest()


@functools.cache
def renderer_version() -> str:
    """The vl-convert build that draws and the fonts it draws with (a new build, or other
    fonts, may draw the same spec differently)."""
    try:
        version = importlib.metadata.version("vl-convert-python")
    except importlib.metadata.PackageNotFoundError:
        version = str(getattr(vlc, "__version__", "unknown"))
    return f"{version} fonts:{fonts_fingerprint()[:16]}"


def spec_key(spec: dict[str, Any], fmt: str) -> str:
    """The cache key of ``spec`` drawn as ``fmt``: SHA-256 of its canonical JSON (sorted
    keys, data included), the format, the vl-convert version and :data:`CACHE_FORMAT`."""
    canonical = json.dumps(spec, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    head = f"{CACHE_FORMAT}\n{renderer_version()}\n{fmt}\n"
    return hashlib.sha256((head + canonical).encode("utf-8")).hexdigest()


def pack(key: str, payload: bytes) -> bytes:
    """A cache entry: a header naming the format, the key and the payload's SHA-256."""
    digest = hashlib.sha256(payload).hexdigest()
    return f"{CACHE_FORMAT}\n{key}\n{digest}\n".encode("ascii") + payload


def unpack(key: str, blob: bytes | None) -> bytes | None:
    """The payload of an entry stored under ``key``; ``None`` unless the header names this
    format and this key and the payload has the SHA-256 it names (torn or edited entries,
    or one copied under another key, are ignored)."""
    if blob is None:
        return None
    lines = blob.split(b"\n", 3)
    if len(lines) != 4:
        return None
    head, stored_key, digest, payload = lines
    if head != CACHE_FORMAT.encode("ascii") or stored_key != key.encode("ascii"):
        return None
    if hashlib.sha256(payload).hexdigest().encode("ascii") != digest:
        return None
    return payload


@dataclass
class Renderer:
    """Draws Vega-Lite specs, each (spec, format) at most once per run, reusing ``store``.

    ``used`` lists the keys this run needed (the store can drop the rest); ``drawn`` and
    ``reused`` count renderings made and taken from the store.

    With ``raster`` (an executor), :meth:`start_png` lays a spec out at once and rasterises its
    PNG on the executor while the caller goes on: vl-convert serves one layout at a time, but
    rasterising (Rust, off the GIL) can overlap the next layout on a second core. The bytes are
    those :meth:`png` would give; :meth:`png` waits for them.
    """

    store: BlobStore | None = None
    raster: Executor | None = None
    used: set[str] = field(default_factory=set)
    drawn: int = 0
    reused: int = 0
    _memo: dict[str, bytes] = field(default_factory=dict, init=False, repr=False)
    _pending: dict[str, Future[bytes]] = field(default_factory=dict, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def _cached(self, key: str) -> bytes | None:
        with self._lock:
            self.used.add(key)
            if key in self._memo:
                return self._memo[key]
        found = unpack(key, self.store.get(key)) if self.store is not None else None
        if found is not None:
            with self._lock:
                self.reused += 1
                self._memo[key] = found
        return found

    def _keep(self, key: str, payload: bytes) -> bytes:
        with self._lock:
            self.drawn += 1
            self._memo[key] = payload
        if self.store is not None:
            self.store.put(key, pack(key, payload))
        return payload

    def start_png(self, spec: dict[str, Any]) -> None:
        """Lay ``spec`` out now and rasterise its PNG on ``raster`` (now, without one)."""
        self.svg(spec)
        key = spec_key(spec, f"png@{PNG_SCALE}")
        if self.raster is None:
            self.png(spec)
        elif key not in self._pending:
            self._pending[key] = self.raster.submit(self._png, spec, key)

    def svg(self, spec: dict[str, Any]) -> str:
        """The raw SVG vl-convert draws."""
        key = spec_key(spec, "svg")
        found = self._cached(key)
        if found is None:
            found = self._keep(key, str(vlc.vegalite_to_svg(spec)).encode("utf-8"))
        return found.decode("utf-8")

    def png(self, spec: dict[str, Any]) -> bytes:
        """PNG at :data:`PNG_SCALE`, rasterised from the spec's SVG."""
        key = spec_key(spec, f"png@{PNG_SCALE}")
        pending = self._pending.pop(key, None)
        if pending is not None:
            return pending.result()
        return self._png(spec, key)

    def _png(self, spec: dict[str, Any], key: str) -> bytes:
        found = self._cached(key)
        if found is None:
            found = self._keep(key, bytes(vlc.svg_to_png(self.svg(spec), scale=PNG_SCALE)))
        return found

    def pdf(self, spec: dict[str, Any]) -> bytes:
        """PDF drawn in one font weight (:func:`single_weight`): same spec, same bytes."""
        plain = single_weight(spec)
        key = spec_key(plain, "pdf")
        found = self._cached(key)
        if found is None:
            found = self._keep(key, bytes(vlc.vegalite_to_pdf(plain)))
        return found
