"""What the tantivy index does beyond the conformance suite: several processes writing one index
in turn (the service beside a CLI backfill), a reader seeing another process's commits, a
refused index of another schema version, and moving an existing SQLite index into it with
``ipsentry reindex --from-index``."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from contextlib import closing
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ipsentry.cli import app
from ipsentry.config.settings import Settings
from ipsentry.core.documents import Document, RiskKind
from ipsentry.search.index import SearchRequest
from ipsentry.search.sqlite_index import SqliteDocumentIndex
from ipsentry.search.tantivy_index import IndexSchemaError, TantivyDocumentIndex
from tests.search.conftest import corpus_documents
from tests.service.cli_environment import cli_environment

REPOSITORY = Path(__file__).resolve().parents[2]
# A second process writing batches of drone notices into the index at argv[1].
WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path

    from ipsentry.search.tantivy_index import TantivyDocumentIndex
    from tests.search.test_tantivy_index import drone_notices

    index = TantivyDocumentIndex(Path(sys.argv[1]))
    for batch in range(int(sys.argv[3])):
        index.upsert(drone_notices(sys.argv[2], batch))
    """
)


def drone_notices(tag: str, batch: int) -> list[Document]:
    return [
        Document(
            id=f"fr:{tag}-{batch}-{n}",
            native_id=f"{tag}-{batch}-{n}",
            source="federal_register",
            kind=RiskKind.ITC337,
            title=f"Certain Drones; Institution of Investigation ({tag})",
            published=date(2025, 1, 1 + n),
            fetched=datetime(2026, 2, 4, tzinfo=UTC),
        )
        for n in range(20)
    ]


def _writer(path: Path, tag: str, batches: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", WRITER, str(path), tag, str(batches)], cwd=REPOSITORY)


def _drones(index: TantivyDocumentIndex) -> int:
    return index.search(SearchRequest(query="drones", limit=0)).total


def test_two_processes_write_in_turn_and_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "documents.tantivy"
    TantivyDocumentIndex(path).close()  # created once, as the service does at start
    writers = [_writer(path, tag, batches=8) for tag in ("service", "backfill")]
    assert [writer.wait(timeout=300) for writer in writers] == [0, 0]
    index = TantivyDocumentIndex(path)
    assert index.count() == 2 * 8 * 20
    assert _drones(index) == 2 * 8 * 20
    assert index.search(SearchRequest(query="backfill", limit=0)).total == 8 * 20


def test_a_reader_sees_what_another_process_commits(tmp_path: Path) -> None:
    path = tmp_path / "documents.tantivy"
    reader = TantivyDocumentIndex(path)  # e.g. the API server, open all along
    assert _drones(reader) == 0
    assert _writer(path, "crawl", batches=1).wait(timeout=120) == 0
    deadline = time.monotonic() + 30
    while _drones(reader) == 0 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _drones(reader) == 20


def test_an_upsert_is_told_against_what_another_process_wrote(tmp_path: Path) -> None:
    path = tmp_path / "documents.tantivy"
    index = TantivyDocumentIndex(path)  # its reader has not seen the other process's commit
    assert _writer(path, "crawl", batches=1).wait(timeout=120) == 0
    result = index.upsert(drone_notices("crawl", 0))
    assert result.created == [] and len(result.unchanged) == 20
    assert index.count() == 20


def test_an_index_of_another_schema_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "documents.tantivy"
    TantivyDocumentIndex(path).close()
    (path / "ipsentry-index.json").write_text(json.dumps({"schema": 99}))
    with pytest.raises(IndexSchemaError, match="schema 99"):
        TantivyDocumentIndex(path)


def test_chinese_words_do_not_join_characters_of_separate_runs(
    tmp_path: Path, make_doc: Callable[..., Document]
) -> None:
    # Chinese words are looked up through CJK bigrams.  A bigram must pair only characters that
    # are adjacent tokens: not across "Tech", but across "，", which is no token.  The SQLite
    # index (characters as a phrase) is the reference.
    documents = [
        make_doc(id="fr:1", title="英诺 Tech 赛科"),
        make_doc(id="fr:2", title="Notice", summary="英诺，赛科"),
        make_doc(id="fr:3", title="赛科英诺"),
    ]
    indices = [
        TantivyDocumentIndex(tmp_path / "documents.tantivy"),
        SqliteDocumentIndex(tmp_path / "documents.sqlite"),
    ]
    queries = ("诺赛", "英诺赛科", "英诺", "科英", '"科 英"', "诺Tech赛", "赛", '"英诺 赛科"')
    found = []
    for index in indices:
        index.upsert(documents)
        results = {q: index.search(SearchRequest(query=q)) for q in queries}
        found.append({q: sorted(h.document.id for h in result.hits) for q, result in results.items()})
    assert found[0] == found[1]
    assert found[0]["诺赛"] == ["fr:2"]
    assert found[0]["英诺"] == ["fr:1", "fr:2", "fr:3"]
    assert found[0]["科英"] == ["fr:3"]
    assert found[0]["诺Tech赛"] == ["fr:1"]


def test_reindex_from_index_moves_a_sqlite_index_into_tantivy(
    tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = SqliteDocumentIndex(tmp_path / "old.sqlite")
    corpus = corpus_documents()
    old.upsert(corpus)
    old.close()
    target = settings.model_copy(update={"search_backend": "tantivy", "search_index_path": None})
    with cli_environment(monkeypatch, target, {"IPSENTRY_SEARCH_BACKEND": "tantivy"}):
        first = CliRunner().invoke(app, ["reindex", "--from-index", str(tmp_path / "old.sqlite")])
        again = CliRunner().invoke(app, ["reindex", "--from-index", str(tmp_path / "old.sqlite")])
        itself = CliRunner().invoke(app, ["reindex", "--from-index", str(target.resolved_index_path)])
        missing = CliRunner().invoke(app, ["reindex", "--from-index", str(tmp_path / "nope.sqlite")])
    assert first.exit_code == 0, first.output
    assert f"{len(corpus)} created, 0 updated, 0 unchanged" in first.output
    assert f"0 created, 0 updated, {len(corpus)} unchanged" in again.output
    assert itself.exit_code == 2 and "is the configured index itself" in itself.output
    assert missing.exit_code == 2 and "no embedded index" in missing.output
    # Another SQLite file named by mistake (say the relational database) is refused, untouched.
    database = tmp_path / "registry-copy.sqlite"
    with closing(sqlite3.connect(database)) as connection:
        connection.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
    before = database.read_bytes()
    with cli_environment(monkeypatch, target, {"IPSENTRY_SEARCH_BACKEND": "tantivy"}):
        wrong = CliRunner().invoke(app, ["reindex", "--from-index", str(database)])
    assert wrong.exit_code == 2 and "not an ipsentry document index" in wrong.output
    assert database.read_bytes() == before
    moved = TantivyDocumentIndex(target.resolved_index_path)
    assert moved.count() == len(corpus)
    by_id = {d.id: d for d in corpus}
    assert all(moved.get(i) == d for i, d in by_id.items())  # every field survives the move
    hits = moved.search(SearchRequest(query="英诺", facets=["kind"]))
    assert {h.document.id for h in hits.hits} == {"fr:2024-09877", "cl:docket:68234511", "uspto:98763166"}
