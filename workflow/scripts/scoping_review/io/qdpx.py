"""REFI-QDA project exchange files (``.qdpx``): a zip holding ``project.qde`` (XML).

Reads the codebook (nested ``Code`` elements → code paths), the sources (any ``*Source``
element) and their coded selections (``*Selection`` → ``Coding`` → ``CodeRef``), plus codings of
whole sources. Text of a ``PlainTextSelection`` is cut from the source's plain text (inline
``PlainTextContent`` or the ``plainTextPath`` file inside the zip); PDF selections carry their
page. Works on bytes; the adapter reads the file.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from xml.etree import ElementTree

NS = "urn:QDA-XML:project:1.0"


class QdpxError(ValueError):
    """A .qdpx file that cannot be read; the message names the file and the element."""


@dataclass(frozen=True)
class QdaCode:
    guid: str
    name: str
    path: tuple[str, ...]  # names from the top-level code down to this one
    description: str | None
    codable: bool


@dataclass(frozen=True)
class QdaSegment:
    segment_id: str  # selection guid (or source guid) + "/" + coding guid
    document: str
    code_guid: str
    code_path: tuple[str, ...]
    text: str | None
    page: int | None
    ordinal: int  # 1-based position of the coding in the file


@dataclass
class QdaProject:
    name: str
    codes: list[QdaCode] = field(default_factory=list)
    segments: list[QdaSegment] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(elem: ElementTree.Element, name: str) -> ElementTree.Element | None:
    for c in elem:
        if _local(c.tag) == name:
            return c
    return None


def _children(elem: ElementTree.Element, name: str) -> list[ElementTree.Element]:
    return [c for c in elem if _local(c.tag) == name]


def _text(elem: ElementTree.Element | None) -> str | None:
    if elem is None or elem.text is None:
        return None
    return elem.text.strip() or None


def _internal(path: str) -> str:
    """``internal://abc.txt`` → ``sources/abc.txt`` (REFI-QDA's location of packed sources)."""
    if path.startswith("internal://"):
        return "sources/" + path[len("internal://") :]
    return path


def read_qdpx(data: bytes, source: str) -> QdaProject:
    """Parse a ``.qdpx`` (zip) or a bare ``project.qde`` (XML) given as bytes."""
    archive: zipfile.ZipFile | None = None
    if data[:2] == b"PK":
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
        except zipfile.BadZipFile as err:
            raise QdpxError(f"{source}: not a valid .qdpx zip ({err})") from err
        names = [n for n in archive.namelist() if n.lower().endswith(".qde")]
        if not names:
            raise QdpxError(f"{source}: the zip holds no project.qde")
        xml = archive.read(sorted(names, key=lambda n: (n.count("/"), n))[0])
    else:
        xml = data
    try:
        root = ElementTree.fromstring(xml)
    except ElementTree.ParseError as err:
        raise QdpxError(f"{source}: project.qde is not well-formed XML ({err})") from err
    if _local(root.tag) != "Project":
        raise QdpxError(f"{source}: root element is <{_local(root.tag)}>, expected <Project>")
    project = QdaProject(name=root.get("name") or "")
    by_guid: dict[str, QdaCode] = {}

    def walk(elem: ElementTree.Element, parents: tuple[str, ...]) -> None:
        for code in _children(elem, "Code"):
            guid, name = code.get("guid"), code.get("name")
            if not guid or name is None:
                raise QdpxError(f"{source}: <Code> without guid or name under {parents}")
            qc = QdaCode(
                guid=guid.upper(),
                name=name.strip(),
                path=(*parents, name.strip()),
                description=_text(_child(code, "Description")),
                codable=(code.get("isCodable", "true").lower() != "false"),
            )
            if qc.guid in by_guid:
                raise QdpxError(f"{source}: code guid {guid} appears twice")
            by_guid[qc.guid] = qc
            project.codes.append(qc)
            walk(code, qc.path)

    book = _child(root, "CodeBook")
    codes_elem = _child(book, "Codes") if book is not None else None
    if codes_elem is not None:
        walk(codes_elem, ())

    def plain_text(src: ElementTree.Element) -> str | None:
        inline = _child(src, "PlainTextContent")
        if inline is not None:
            return inline.text or ""
        path = src.get("plainTextPath")
        if path and archive is not None:
            try:
                return archive.read(_internal(path)).decode("utf-8-sig")
            except KeyError:
                return None
        return None

    ordinal = 0

    def codings(
        holder: ElementTree.Element, sel_id: str, document: str, text: str | None, page: int | None
    ) -> None:
        nonlocal ordinal
        for coding in _children(holder, "Coding"):
            ref = _child(coding, "CodeRef")
            target = (ref.get("targetGUID") if ref is not None else None) or ""
            code = by_guid.get(target.upper())
            if code is None:
                raise QdpxError(
                    f"{source}: selection {sel_id} in source '{document}' is coded with "
                    f"unknown code guid {target!r}"
                )
            ordinal += 1
            project.segments.append(
                QdaSegment(
                    segment_id=f"{sel_id}/{coding.get('guid') or ordinal}",
                    document=document,
                    code_guid=code.guid,
                    code_path=code.path,
                    text=text,
                    page=page,
                    ordinal=ordinal,
                )
            )

    sources = _child(root, "Sources")
    for src in list(sources) if sources is not None else []:
        if not _local(src.tag).endswith("Source"):
            continue
        document = (src.get("name") or src.get("guid") or "").strip()
        project.sources.append(document)
        content = plain_text(src) if _local(src.tag) == "TextSource" else None
        codings(src, src.get("guid") or document, document, None, None)
        for sel in src:
            kind = _local(sel.tag)
            if not kind.endswith("Selection"):
                continue
            sel_id = sel.get("guid") or f"{document}#{ordinal + 1}"
            text: str | None = _text(_child(sel, "Description")) or sel.get("name")
            page: int | None = None
            if kind == "PlainTextSelection" and content is not None:
                try:
                    start, end = int(sel.get("startPosition", "")), int(sel.get("endPosition", ""))
                except ValueError as err:
                    raise QdpxError(
                        f"{source}: selection {sel_id} in '{document}' has no valid "
                        "startPosition/endPosition"
                    ) from err
                text = content[start:end]
            elif kind == "PDFSelection" and sel.get("page") is not None:
                try:
                    page = int(sel.get("page", ""))
                except ValueError as err:
                    raise QdpxError(f"{source}: selection {sel_id} has a bad page") from err
            codings(sel, sel_id, document, text, page)
    return project
