"""``ipsentry tag --registry REGISTRY.json --input DOCS.json``: tag documents against a registry
file, without a database, and print one JSON line per document.

The lead registers it in :mod:`ipsentry.cli`: ``app.command(name="tag")(tag)``.

Input: a JSON list of documents (or an object holding it under ``results`` or ``documents``, as
the Federal Register search API answers).  A document is ``{"id", "title", "abstract" or "text",
"parties": [{"name", "role", "city", "country", "aliases"}]}`` (``parties`` optional, other keys
ignored); a Federal Register search record (``document_number``, ``publication_date``, ``title``,
``abstract``) is read by the Federal Register parser, which finds its parties and their roles in
the abstract.  Output, in input order::

    {"document_id": "2026-02297", "matches": [{"enterprise_id": "cn-0001", "role": "respondent",
     "score": 1.0, "confidence": "high", "evidence": "…", "kind": "party_name", "variant": "…"}]}

``document_id`` is the record's ``id`` (or ``document_number``), ``enterprise_id`` the registry
file's ``id``.  Records that cannot be read are reported on stderr and skipped; an unreadable
file is exit code 2.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console

from ipsentry.core.documents import Document, Match, Party, RiskKind
from ipsentry.core.registry import EnterpriseRecord
from ipsentry.core.registry_io import read_registry_file
from ipsentry.crawlers.parsers.federal_register import document_from_record
from ipsentry.tagging.matcher import EnterpriseMatcher

err = Console(stderr=True)


def registry_or_exit(registry: Path) -> list[EnterpriseRecord]:
    """The enterprises of a registry file; each unreadable row said on stderr, and exit code 2
    when the file cannot be read or holds no enterprise at all."""
    try:
        records, problems = read_registry_file(registry)
    except (OSError, ValueError) as error:
        err.print(f"[red]{registry.name}:[/] {error}")
        raise typer.Exit(2) from error
    for problem in problems:
        err.print(f"[yellow]{registry.name} row {problem.row}:[/] {problem.reason}")
    if not records:
        err.print(f"[red]{registry.name}:[/] no enterprise could be read")
        raise typer.Exit(2)
    return records


class InputError(ValueError):
    """A document record that cannot be tagged (the message says why)."""


def tag(
    registry: Annotated[
        Path, typer.Option("--registry", exists=True, dir_okay=False, help="registry file: JSON, CSV or XLSX")
    ],
    input: Annotated[
        Path, typer.Option("--input", exists=True, dir_okay=False, help="documents: a JSON list")
    ],
) -> None:
    """Tag documents against a registry file; print one JSON line per document."""
    records = registry_or_exit(registry)
    try:
        rows = read_input(input)
    except InputError as error:
        err.print(f"[red]{input.name}:[/] {error}")
        raise typer.Exit(2) from error

    # The matcher knows enterprises by position-like ids; the output names them as the file does.
    numbered = [record.model_copy(update={"id": number}) for number, record in enumerate(records, start=1)]
    external = {record.id: record.external_id for record in numbered}
    matcher = EnterpriseMatcher.build(numbered)
    tagged = skipped = matched = 0
    for position, row in enumerate(rows, start=1):
        try:
            document_id, document = document_of(row)
        except InputError as error:
            err.print(f"[yellow]{input.name} record {position}:[/] {error}")
            skipped += 1
            continue
        matches = [match_json(match, external) for match in matcher.match(document)]
        sys.stdout.write(
            json.dumps({"document_id": document_id, "matches": matches}, ensure_ascii=False) + "\n"
        )
        tagged += 1
        matched += len(matches)
    err.print(f"{tagged} documents tagged, {matched} matches, {skipped} skipped; {len(records)} enterprises")


def read_input(path: Path) -> list[Any]:
    try:
        loaded = json.loads(path.read_bytes())
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise InputError(f"not JSON: {error}") from error
    if isinstance(loaded, dict):
        loaded = loaded.get("results", loaded.get("documents"))
    if not isinstance(loaded, list):
        raise InputError('expected a list of documents (or {"results": [...]})')
    return loaded


def document_of(row: Any) -> tuple[str, Document]:
    """(the id to print, the document to tag) for one input record."""
    if not isinstance(row, dict):
        raise InputError(f"a record is an object, not {type(row).__name__}")
    if "document_number" in row and "id" not in row:
        try:
            return str(row["document_number"]).strip(), document_from_record(row)
        except ValueError as error:
            raise InputError(f"not a Federal Register record: {error}") from error
    document_id = row.get("id")
    if (
        not isinstance(document_id, str | int)
        or isinstance(document_id, bool)
        or not str(document_id).strip()
    ):
        raise InputError('no "id"')
    document_id = str(document_id).strip()
    text = {key: row.get(key) for key in ("title", "abstract", "text")}
    if not all(value is None or isinstance(value, str) for value in text.values()):
        raise InputError('"title", "abstract" and "text" are strings')
    if not any(text.values()) and not row.get("parties"):
        raise InputError('nothing to tag: no "title", "abstract", "text" or "parties"')
    try:
        parties = [Party.model_validate(party) for party in row.get("parties") or []]
    except ValidationError as error:
        raise InputError(f"parties: {error.errors()[0]['msg']}") from error
    document = Document(
        id=document_id,
        source="input",
        kind=RiskKind.ITC337,  # only severity depends on the kind, and it is not printed
        native_id=document_id,
        title=text["title"] or "",
        summary=text["abstract"] or "",
        text=text["text"] or "",
        parties=parties,
    )
    return document_id, document


def match_json(match: Match, external: dict[int | None, str]) -> dict[str, Any]:
    return {
        "enterprise_id": external[match.enterprise_id],
        "role": match.role.value,
        "score": match.score,
        "confidence": match.confidence,
        "evidence": match.evidence,
        "kind": match.kind,
        "variant": match.variant,
    }


if __name__ == "__main__":
    typer.run(tag)
