"""PACER CM/ECF RSS feeds: every item of every real sample feed is read, with real values."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from ipsentry.core.documents import RiskKind, Role
from ipsentry.core.stages import ECOMMERCE_STAGES
from ipsentry.crawlers.parsers.pacer_rss import parse_feed, strip_preamble
from ipsentry.crawlers.parsers.registry import get_parser

FEEDS = {
    "pacer_rss_wvsd_small_with_bad_docket_number.xml": "wvsd",
    "pacer_rss_nysd_district_full.xml": "nysd",
    "pacer_rss_nyed_readyDockets_variant.xml": "nyed",
    "pacer_rss_mdb_bankruptcy_small.xml": "mdb",
}


def _feed(samples_dir: Path, name: str) -> bytes:
    return (samples_dir / "ecommerce" / name).read_bytes()


def _by_id(documents: list, document_id: str):
    matches = [d for d in documents if d.id == document_id]
    assert len(matches) == 1, f"{document_id}: {len(matches)} documents"
    return matches[0]


@pytest.mark.parametrize("name", sorted(FEEDS))
def test_every_item_of_every_sample_is_read(samples_dir: Path, name: str) -> None:
    raw = _feed(samples_dir, name)
    # Counted on the raw bytes, independently of the parser.
    item_count = len(re.findall(rb"<item>", raw))
    assert item_count > 0
    result = parse_feed(raw, url=f"https://example.test/{name}")
    # Items PACER lists twice for one entry (one per event type) become one document each.
    assert sum(d.extra["feed_items"] for d in result.documents) == item_count
    assert len({d.id for d in result.documents}) == len(result.documents)
    court = FEEDS[name]
    for document in result.documents:
        assert document.source == "pacer_rss"
        assert document.kind is RiskKind.ECOMMERCE
        assert document.authority == court
        assert document.id.startswith(f"pacer:{court}:{document.docket_number}:")
        assert document.case_numbers[0] == f"{court}:{document.docket_number}"
        assert document.stage in ECOMMERCE_STAGES
        assert document.published is not None
        assert datetime.fromisoformat(document.extra["published_at"]).tzinfo is not None
        assert document.url and document.url.startswith(
            f"https://ecf.{court}.uscourts.gov/cgi-bin/DktRpt.pl?"
        )


def test_spoon_v_ethicon_item(samples_dir: Path) -> None:
    result = parse_feed(_feed(samples_dir, "pacer_rss_wvsd_small_with_bad_docket_number.xml"))
    spoon = _by_id(result.documents, "pacer:wvsd:2:13-cv-01808:47")
    assert spoon.title == "Spoon et al v. Ethicon, Inc. et al"
    assert spoon.docket_number == "2:13-cv-01808"
    assert spoon.case_numbers == ["wvsd:2:13-cv-01808"]
    assert spoon.summary == "Pretrial Order"
    assert spoon.text == "[Pretrial Order] (13)"
    assert spoon.stage == "other"
    assert spoon.url == "https://ecf.wvsd.uscourts.gov/cgi-bin/DktRpt.pl?100645"
    assert spoon.published == date(2018, 5, 15)
    assert spoon.extra["published_at"] == "2018-05-15T19:14:26+00:00"
    assert spoon.extra["entry_number"] == 13
    assert spoon.extra["pacer_seq"] == "47"
    assert spoon.extra["pacer_case_id"] == "100645"
    assert spoon.extra["document_url"] == (
        "https://ecf.wvsd.uscourts.gov/doc1/20119112675?caseid=100645&de_seq_num=47"
    )
    assert spoon.extra["schedule_a"] is False
    assert spoon.extra["bankruptcy"] is False
    assert [(p.name, p.role) for p in spoon.parties] == [
        ("Spoon", Role.PLAINTIFF),
        ("Ethicon, Inc.", Role.DEFENDANT),
    ]


def test_order_dismissing_case_is_a_dismissal(samples_dir: Path) -> None:
    result = parse_feed(_feed(samples_dir, "pacer_rss_wvsd_small_with_bad_docket_number.xml"))
    sigman = _by_id(result.documents, "pacer:wvsd:3:15-cv-13328:6691")
    assert sigman.title == "Sigman et al v. CSX Corporation et al"
    assert sigman.summary == "Order Dismissing Case"
    assert sigman.stage == "dismissal"
    assert sigman.extra["entry_number"] == 304


def test_malformed_docket_number_is_kept_and_reported(samples_dir: Path) -> None:
    result = parse_feed(_feed(samples_dir, "pacer_rss_wvsd_small_with_bad_docket_number.xml"))
    bad = _by_id(result.documents, "pacer:wvsd:5:18-~gr-00001:5")
    assert bad.docket_number == "5:18-~gr-00001"
    assert bad.extra["docket_number_malformed"] is True
    assert bad.title == "5:18-~gr-00001"  # the title has no caption
    assert bad.summary == "Order on Motion / Application / Petition for Miscellaneous Relief"
    assert bad.extra["entry_number"] == 2
    assert [p.record for p in result.problems] == ["pacer:wvsd:5:18-~gr-00001:5"]
    assert "malformed docket number" in result.problems[0].reason


def test_ready_dockets_variant_with_cdata_titles(samples_dir: Path) -> None:
    result = parse_feed(_feed(samples_dir, "pacer_rss_nyed_readyDockets_variant.xml"))
    assert result.problems == []
    first = _by_id(result.documents, "pacer:nyed:1:17-cr-00554:t20180522221004")
    # "1:17-cr-00554-MKB USA v. Shargorodskaya": judge initials are not part of the case key
    assert first.docket_number == "1:17-cr-00554"
    assert first.extra["judge_initials"] == ["MKB"]
    assert first.title == "USA v. Shargorodskaya"
    # the caption PACER repeats after the label is not docket text
    assert first.text == "[Order]"
    assert first.url == "https://ecf.nyed.uscourts.gov/cgi-bin/DktRpt.pl?408124"
    # show_case_doc links give the document number (no entry sequence in this variant)
    with_doc = _by_id(result.documents, "pacer:nyed:1:18-cv-03026:doc1")
    assert with_doc.extra["entry_number"] == 1
    assert with_doc.extra["document_url"] == "https://ecf.nyed.uscourts.gov/cgi-bin/show_case_doc?1,417541,,,"
    # two items for one entry at the same second: one document with both labels
    dmj = _by_id(result.documents, "pacer:nyed:1:97-cv-07285:t20180522213829")
    assert dmj.title == "DMJ Associates, L.L. v. Capasso, et al"
    assert dmj.extra["event_labels"] == ["Order(Other)", "Order"]
    assert dmj.extra["feed_items"] == 2


def test_entry_listed_under_two_event_types_is_one_document(samples_dir: Path) -> None:
    result = parse_feed(_feed(samples_dir, "pacer_rss_nysd_district_full.xml"))
    borges = _by_id(result.documents, "pacer:nysd:1:18-cv-02441:49")
    assert borges.extra["event_labels"] == [
        "~Util - Add and Terminate Parties",
        "Notice of Voluntary Dismissal - Signed",
    ]
    assert borges.extra["feed_items"] == 2
    assert borges.stage == "dismissal"  # the more significant of the two labels


def test_criminal_entries_listed_per_defendant_are_one_entry(samples_dir: Path) -> None:
    result = parse_feed(_feed(samples_dir, "pacer_rss_nysd_district_full.xml"))
    entry = _by_id(result.documents, "pacer:nysd:1:12-cr-00120:1399")
    assert entry.extra["defendant_numbers"] == [1, 2, 3, 4, 5, 6]
    assert entry.extra["feed_items"] == 6
    assert result.problems == []


def test_bankruptcy_feed(samples_dir: Path) -> None:
    result = parse_feed(_feed(samples_dir, "pacer_rss_mdb_bankruptcy_small.xml"))
    assert result.problems == []
    dozier = _by_id(result.documents, "pacer:mdb:18-00079:19")
    assert dozier.title == "Dozier v. CN of Dundalk, Inc. d/b/a CNAC of D"
    assert dozier.docket_number == "18-00079"
    assert dozier.summary == "Close Adversary Case"
    assert dozier.extra["bankruptcy"] is True
    assert dozier.extra["bankruptcy_case"] == {"type": "ap", "office": "1", "chapter": None}
    misc = _by_id(result.documents, "pacer:mdb:18-90003:2")
    assert misc.title == "18-90003"
    assert misc.extra["entry_number"] == 1
    assert misc.extra["bankruptcy_case"]["office"] == "0"
    assert all(d.extra["schedule_a"] is False for d in result.documents)


def test_stages_of_real_labels(samples_dir: Path) -> None:
    result = parse_feed(_feed(samples_dir, "pacer_rss_nysd_district_full.xml"))
    stage_by_label = {d.summary: d.stage for d in result.documents if d.extra["feed_items"] == 1}
    assert stage_by_label["Complaint"] == "complaint"
    assert stage_by_label["Amended Complaint"] == "complaint"
    assert stage_by_label["Notice of Voluntary Dismissal"] == "dismissal"
    assert stage_by_label["Stipulation and Order of Voluntary Dismissal"] == "dismissal"
    assert stage_by_label["Order on Motion for Default Judgment"] == "default_judgment"
    assert stage_by_label["Judgment - Consent"] == "settlement"
    assert stage_by_label["Answer to Complaint"] == "other"
    assert stage_by_label["Dismiss"] == "other"  # S.D.N.Y. labels a motion to dismiss so
    assert stage_by_label["Notice of Appearance"] == "other"


def test_ids_are_stable_across_recrawls(samples_dir: Path) -> None:
    raw = _feed(samples_dir, "pacer_rss_nysd_district_full.xml")
    first = [d.id for d in parse_feed(raw).documents]
    again = [d.id for d in parse_feed(raw, url="https://fixture.test/rss").documents]
    assert first == again


def test_provenance_line_before_the_xml_is_ignored(samples_dir: Path) -> None:
    raw = _feed(samples_dir, "pacer_rss_wvsd_small_with_bad_docket_number.xml")
    noted = b"SOURCE: juriscraper tests/examples/pacer/rss_feeds/wvsd.xml -- strip this line\n" + raw
    commented = b"<!-- provenance note -->\n" + raw
    plain = [d.id for d in parse_feed(raw).documents]
    assert [d.id for d in parse_feed(noted).documents] == plain
    assert [d.id for d in parse_feed(commented).documents] == plain
    assert strip_preamble(noted) == raw


def test_schedule_a_caption_in_a_feed(samples_dir: Path) -> None:
    """A variation derived from the real wvsd feed: one item retitled with a real Schedule A
    caption and docket number from us_ip_case_captions.json."""
    raw = _feed(samples_dir, "pacer_rss_wvsd_small_with_bad_docket_number.xml")
    caption = "River Light V, LP v. The Partnerships and Unincorporated Associations Identified on Schedule A"
    derived = raw.replace(
        b"2:13-cv-01808 Spoon et al v. Ethicon, Inc. et al", b"1:24-cv-03089 " + caption.encode()
    )
    result = parse_feed(derived, court="ilnd")
    document = _by_id(result.documents, "pacer:ilnd:1:24-cv-03089:47")
    assert document.case_numbers == ["ilnd:1:24-cv-03089"]
    assert document.extra["schedule_a"] is True
    assert document.extra["plaintiff"] == "River Light V, LP"
    assert document.extra["brands"] == ["River Light V"]
    # the placeholder defendants name nobody: only the plaintiff is a party
    assert [(p.name, p.role) for p in document.parties] == [("River Light V, LP", Role.PLAINTIFF)]


def test_broken_input_is_reported_never_raised(samples_dir: Path) -> None:
    raw = _feed(samples_dir, "pacer_rss_nysd_district_full.xml")
    truncated = raw[: len(raw) // 2]
    result = parse_feed(truncated)
    assert result.problems and "malformed XML" in result.problems[0].reason
    assert 0 < len(result.documents) < 336
    assert parse_feed(b"").documents == []
    assert parse_feed(b"").problems
    not_rss = parse_feed(b"<html><body>Service unavailable</body></html>")
    assert not_rss.documents == [] and "not an RSS feed" in not_rss.problems[0].reason


def test_unknown_court_yields_no_documents() -> None:
    feed = (
        b'<?xml version="1.0" encoding="ISO-8859-1"?><rss version="2.0"><channel>'
        b"<link>http://127.0.0.1:8080</link><item><title>1:24-cv-03089 A v. B</title>"
        b"<link>http://127.0.0.1:8080/x</link></item></channel></rss>"
    )
    result = parse_feed(feed)
    assert result.documents == []
    assert "cannot tell the court" in result.problems[0].reason
    assert parse_feed(feed, court="ilnd").documents[0].case_numbers == ["ilnd:1:24-cv-03089"]


def test_pubdate_is_time_zone_aware(samples_dir: Path) -> None:
    result = parse_feed(_feed(samples_dir, "pacer_rss_nysd_district_full.xml"))
    chau = _by_id(result.documents, "pacer:nysd:1:18-cv-03365:10")
    assert datetime.fromisoformat(chau.extra["published_at"]) == datetime(2018, 4, 18, 0, 9, 55, tzinfo=UTC)


def test_registry_name() -> None:
    assert get_parser("pacer-rss") is parse_feed


def test_declaration_quoted_inside_a_feed_is_not_a_preamble() -> None:
    feed = (
        b'<rss version="2.0"><channel><link>https://ecf.ilnd.uscourts.gov</link><item>'
        b"<title>1:24-cv-03089 A v. B</title><description><![CDATA[[Exhibit] <?xml in text]]></description>"
        b"<guid>https://ecf.ilnd.uscourts.gov/cgi-bin/DktRpt.pl?1&amp;2</guid></item></channel></rss>"
    )
    assert strip_preamble(feed) == feed
    assert [d.id for d in parse_feed(feed).documents] == ["pacer:ilnd:1:24-cv-03089:2"]
