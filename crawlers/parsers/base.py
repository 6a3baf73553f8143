"""What every parser returns: documents, plus the records it could not read (never fatal)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ipsentry.core.documents import Document


@dataclass
class ParseProblem:
    record: str  # which record (id, index, line) the problem is in
    reason: str


@dataclass
class ParseResult:
    documents: list[Document] = field(default_factory=list)
    problems: list[ParseProblem] = field(default_factory=list)

    def extend(self, other: ParseResult) -> None:
        self.documents.extend(other.documents)
        self.problems.extend(other.problems)
