"""PACER CM/ECF court RSS feeds (``rss_outside.pl``, ``readyDockets.pl``) → one Document per
docket entry.

Feed shapes handled (all RSS 2.0, ISO-8859-1):

* district feeds (S.D.N.Y., S.D.W.Va.): ``<title>2:13-cv-01808 Spoon et al v. Ethicon, Inc. et al``,
  ``<description>[Pretrial Order] (<a href="…doc1/…?caseid=100645&de_seq_num=47">13</a>)``,
  ``<guid>…DktRpt.pl?100645&47`` (PACER case id and entry sequence number);
* the readyDockets variant (E.D.N.Y.): CDATA titles with judge initials
  (``1:17-cr-00554-MKB USA v. …``), the caption repeated after the event label, a guid
  without an entry number, sometimes a ``show_case_doc?33,…`` document link;
* bankruptcy feeds (D. Md. Bankr.): ``Type: ap Office: 1 Chapter:  [Close Adversary Case]``
  and ``18-00079`` docket numbers.  Marked ``bankruptcy``; never a Schedule A case.

Document ids: ``pacer:<court>:<docket number>:<entry key>`` where the entry key is the PACER
entry sequence number from the guid (``47``), else the document number (``doc33``), else the
entry time (``t20180522213829``).  All three are fixed once PACER has the entry, so a
re-crawl gives the same id.  PACER lists some entries twice, once per event type
("[~Util - Set Deadlines]" and "[Order]" for the same sequence number): those items are one
entry and become one Document carrying both labels (``extra["feed_items"]`` counts them).

A docket number PACER itself garbled (``5:18-~gr-00001``) is kept as written: the document
is still emitted (its id stays stable and unique) and a ParseProblem records it.
"""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import parse_qs, urlsplit

from lxml import etree
from lxml import html as lxml_html

from ipsentry.core.documents import Document, Party, RiskKind, Role
from ipsentry.core.stages import OTHER
from ipsentry.crawlers.parsers.base import ParseProblem, ParseResult
from ipsentry.crawlers.parsers.dockets import (
    case_key,
    court_id_from_url,
    is_bankruptcy_court,
    parse_docket_number,
)
from ipsentry.crawlers.parsers.schedule_a import (
    brands_asserted,
    defendant_from_caption,
    is_schedule_a,
    most_significant_stage,
    plaintiff_from_caption,
    stage_from_docket_text,
)

SOURCE = "pacer_rss"
ID_PREFIX = "pacer"

_XML_DECLARATION = b"<?xml"
_ELEMENT_START_RE = re.compile(rb"<[A-Za-z]")


def strip_preamble(content: bytes) -> bytes:
    """Drop anything before the XML proper: a BOM, blank lines, or a note line such as the
    provenance comment our samples may carry.  An XML declaration must be the very first
    thing in a document, so everything before it goes; without one, leading lines that do
    not start with ``<`` go."""
    content = content.removeprefix(b"\xef\xbb\xbf")
    declaration = content.find(_XML_DECLARATION)
    # Only a declaration before any element counts: "<?xml" quoted inside a feed that has
    # no declaration of its own must not cut the feed.
    if declaration == 0:
        return content
    if declaration > 0 and not _ELEMENT_START_RE.search(content, 0, declaration):
        return content[declaration:]
    lines = content.splitlines(keepends=True)
    while lines and not lines[0].lstrip().startswith(b"<"):
        lines.pop(0)
    return b"".join(lines)


def read_xml(content: bytes, *, record: str, problems: list[ParseProblem]) -> etree._Element | None:
    """Parse XML safely (no entities, no network, no DTD loading).  A broken document is
    parsed again in recovery mode and the breakage recorded, so one bad byte costs at most
    the records it touches."""
    data = strip_preamble(content)
    strict = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True)
    try:
        return etree.fromstring(data, parser=strict)
    except etree.XMLSyntaxError as error:
        problems.append(
            ParseProblem(record=record, reason=f"malformed XML, recovered what could be read: {error}")
        )
    lenient = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True, recover=True
    )
    try:
        root = etree.fromstring(data, parser=lenient)
    except etree.XMLSyntaxError as error:
        problems.append(ParseProblem(record=record, reason=f"unreadable XML: {error}"))
        return None
    if root is None:
        problems.append(ParseProblem(record=record, reason="no XML content"))
    return root


_BANKRUPTCY_PREFIX_RE = re.compile(
    r"^\s*Type:\s*(?P<type>\S*?)\s+Office:\s*(?P<office>\S*?)\s+Chapter:\s*(?P<chapter>[^\s\[]*)\s*"
)
_LEADING_LABEL_RE = re.compile(r"^\s*\[(?P<label>[^\]]*)\]\s*")
_GUID_RE = re.compile(r"DktRpt\.pl\?(?P<case>\d+)(?:[&\-](?P<seq>\d+))?")
_SHOW_CASE_DOC_RE = re.compile(r"show_case_doc\?(?P<doc>\d+),(?P<case>\d+)")


@dataclass
class _Entry:
    """One docket entry as read from one or more feed items."""

    id: str
    court: str
    docket_number: str
    docket_number_raw: str
    malformed: bool
    judge_initials: tuple[str, ...]
    defendant_numbers: list[int]
    caption: str
    labels: list[str]
    texts: list[str]
    stages: list[str]
    link: str | None
    published_at: datetime | None
    extra: dict[str, object] = field(default_factory=dict)
    feed_items: int = 1


def _clean_description(raw: str) -> tuple[str, list[tuple[str, str]]]:
    """The description is HTML inside XML: return its text and its links (href, text)."""
    if not raw.strip():
        return "", []
    fragment = lxml_html.fragment_fromstring(raw, create_parent="div")
    links = [(a.get("href") or "", (a.text_content() or "").strip()) for a in fragment.iter("a")]
    text = html.unescape(fragment.text_content())
    return " ".join(text.split()), links


def _published(raw: str | None) -> datetime | None:
    if not raw or not raw.strip():
        return None
    try:
        value = parsedate_to_datetime(raw.strip())
    except (TypeError, ValueError, IndexError):
        return None
    # RFC 2822 "-0000" means "time zone unknown": PACER writes GMT, so read it as UTC.
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _entry_key(seq: str | None, doc_number: str | None, published_at: datetime | None, text: str) -> str:
    if seq:
        return seq
    if doc_number:
        return f"doc{doc_number}"
    if published_at:
        return f"t{published_at.astimezone(UTC):%Y%m%d%H%M%S}"
    return "h" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]


def _read_item(item: etree._Element, court: str, index: int, problems: list[ParseProblem]) -> _Entry | None:
    title = " ".join((item.findtext("title") or "").split())
    if not title:
        problems.append(
            ParseProblem(record=f"item {index}", reason="item without a title (no docket number)")
        )
        return None
    docket_raw, _, caption = title.partition(" ")
    parsed = parse_docket_number(docket_raw)
    docket_number = str(parsed) if parsed else docket_raw

    description, links = _clean_description(item.findtext("description") or "")
    extra: dict[str, object] = {}
    bankruptcy = is_bankruptcy_court(court)
    if match := _BANKRUPTCY_PREFIX_RE.match(description):
        bankruptcy = True
        extra["bankruptcy_case"] = {
            "type": match["type"] or None,
            "office": match["office"] or None,
            "chapter": match["chapter"] or None,
        }
        description = description[match.end() :]

    labels: list[str] = []
    remainder = description
    while label := _LEADING_LABEL_RE.match(remainder):
        labels.append(label["label"].strip())
        remainder = remainder[label.end() :]
    # readyDockets feeds repeat the caption after the label: it is not docket text, and a
    # caption word ("Settlement Funding v. …") must not decide the stage.
    if caption and remainder.startswith(caption):
        remainder = remainder[len(caption) :].strip()
    docket_text = " ".join([*(f"[{label}]" for label in labels), remainder]).strip()

    link = (item.findtext("link") or "").strip() or None
    guid = (item.findtext("guid") or "").strip()
    guid_match = _GUID_RE.search(guid) or _GUID_RE.search(link or "")
    seq = guid_match["seq"] if guid_match else None
    pacer_case_id = guid_match["case"] if guid_match else None

    doc_number: str | None = None
    doc_url: str | None = None
    for href, text in links:
        if text.isdigit():
            doc_number, doc_url = text, href or None
            query = parse_qs(urlsplit(href).query)
            seq = seq or (query.get("de_seq_num") or [None])[0]
            break
        if show := _SHOW_CASE_DOC_RE.search(href):
            doc_number, doc_url = show["doc"], href
            break

    published_at = _published(item.findtext("pubDate"))
    key = _entry_key(seq, doc_number, published_at, f"{guid}|{title}|{description}")
    stage_input = " ".join([*labels, remainder]) if labels else remainder
    stage = stage_from_docket_text(stage_input) if stage_input else OTHER

    extra.update(
        {
            "bankruptcy": bankruptcy,
            "schedule_a": not bankruptcy and is_schedule_a(caption),
            "pacer_case_id": pacer_case_id,
            "pacer_seq": seq,
            "entry_number": int(doc_number) if doc_number else None,
            "document_url": doc_url,
            "guid": guid or None,
        }
    )
    return _Entry(
        id=f"{ID_PREFIX}:{court}:{docket_number}:{key}",
        court=court,
        docket_number=docket_number,
        docket_number_raw=docket_raw,
        malformed=parsed is None,
        judge_initials=parsed.judge_initials if parsed else (),
        defendant_numbers=[parsed.defendant_number] if parsed and parsed.defendant_number else [],
        caption=caption,
        labels=labels,
        texts=[docket_text] if docket_text else [],
        stages=[stage],
        link=link,
        published_at=published_at,
        extra=extra,
    )


def _merge(into: _Entry, other: _Entry) -> None:
    into.feed_items += 1
    into.defendant_numbers.extend(n for n in other.defendant_numbers if n not in into.defendant_numbers)
    for label in other.labels:
        if label not in into.labels:
            into.labels.append(label)
    for text in other.texts:
        if text not in into.texts:
            into.texts.append(text)
    into.stages.extend(other.stages)
    for key, value in other.extra.items():
        if into.extra.get(key) in (None, "") and value not in (None, ""):
            into.extra[key] = value


def _parties(caption: str, schedule_a: bool) -> list[Party]:
    parties: list[Party] = []
    if plaintiff := plaintiff_from_caption(caption):
        parties.append(Party(name=plaintiff, role=Role.PLAINTIFF))
    if not schedule_a and (defendant := defendant_from_caption(caption)):
        parties.append(Party(name=defendant, role=Role.DEFENDANT))
    return parties


def _document(entry: _Entry, feed_url: str | None) -> Document:
    schedule_a = bool(entry.extra.get("schedule_a"))
    text = "\n".join(entry.texts)
    plaintiff = plaintiff_from_caption(entry.caption)
    extra: dict[str, object] = {
        **entry.extra,
        "event_labels": entry.labels,
        "docket_number_raw": entry.docket_number_raw,
        "docket_number_malformed": entry.malformed,
        "judge_initials": list(entry.judge_initials),
        "defendant_numbers": entry.defendant_numbers,
        "published_at": entry.published_at.isoformat() if entry.published_at else None,
        "feed_items": entry.feed_items,
        "plaintiff": plaintiff,
    }
    if schedule_a:
        extra["brands"] = brands_asserted(plaintiff, text)
    return Document(
        id=entry.id,
        source=SOURCE,
        kind=RiskKind.ECOMMERCE,
        native_id=entry.id.split(":", 1)[1],
        title=entry.caption or entry.docket_number_raw,
        summary="; ".join(entry.labels) or text[:300],
        text=text,
        url=entry.link,
        published=entry.published_at.date() if entry.published_at else None,
        authority=entry.court,
        case_numbers=[case_key(entry.court, entry.docket_number)],
        docket_number=entry.docket_number,
        stage=most_significant_stage(entry.stages),
        parties=_parties(entry.caption, schedule_a),
        extra=extra,
        raw_ref=feed_url,
    )


def parse_feed(content: bytes, *, url: str | None = None, court: str | None = None) -> ParseResult:
    """Parse one PACER RSS feed.  ``court`` overrides the court read from the feed (the
    channel link host, e.g. ``ecf.wvsd.uscourts.gov`` → ``wvsd``), for feeds replayed
    from a fixture server whose links do not name the court."""
    result = ParseResult()
    record = url or "feed"
    root = read_xml(content, record=record, problems=result.problems)
    if root is None:
        return result
    channel = root.find("channel")
    if root.tag != "rss" or channel is None:
        result.problems.append(ParseProblem(record=record, reason=f"not an RSS feed (root <{root.tag}>)"))
        return result
    items = channel.findall("item")
    court = (
        court
        or court_id_from_url(channel.findtext("link"))
        or next((c for i in items if (c := court_id_from_url(i.findtext("link")))), None)
        or court_id_from_url(url)
    )
    if not court:
        # Without the court the ids would collide across courts: better no documents.
        result.problems.append(ParseProblem(record=record, reason="cannot tell the court of this feed"))
        return result

    entries: dict[str, _Entry] = {}
    for index, item in enumerate(items):
        try:
            entry = _read_item(item, court, index, result.problems)
        except Exception as error:  # one unreadable item must not cost the rest of the feed
            result.problems.append(ParseProblem(record=f"item {index}", reason=f"unreadable item: {error!r}"))
            continue
        if entry is None:
            continue
        if entry.malformed:
            result.problems.append(
                ParseProblem(
                    record=entry.id,
                    reason=f"malformed docket number {entry.docket_number_raw!r}: kept as written",
                )
            )
        if entry.id in entries:
            _merge(entries[entry.id], entry)
        else:
            entries[entry.id] = entry
    result.documents.extend(_document(entry, url) for entry in entries.values())
    return result
