"""The labelled evaluation of enterprise matching: how often the tagger is right, per kind of match.

An evaluation set is a folder of three JSON files (``tests/tagging/evaluation/``):

* ``registry.json`` and ``decoys.json``: enterprises in the registry import format
  (``core/registry_io.py``).  Decoys are enterprises that no evaluated document names but that
  share words with ones that do (a city, "Technology", part of a trade name);
* ``gold.json``: the sample files to read (``sources``: file under the samples folder and the
  parser name) and, per document, the enterprises it names with their role (``documents``).

Every document of the sources is tagged.  A high-confidence match is *correct* when its
(document, enterprise, role) is labelled, *wrong* otherwise, including every match in a document
with no labels; labels marked ``optional`` count neither way.  Precision and recall are given per
match kind (the kind of the match for precision, the kind the label expects for recall) and over
all kinds, where one (document, enterprise, role) counts once whatever kinds found it.

    python -m ipsentry.tagging.evaluation        # prints the report for tests/tagging/evaluation
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ipsentry.core.documents import ADVERSE_ROLES, Document, Match, Role
from ipsentry.core.registry import EnterpriseRecord
from ipsentry.core.registry_io import read_registry_file
from ipsentry.crawlers.parsers.federal_register import merge_documents
from ipsentry.crawlers.parsers.registry import get_parser
from ipsentry.tagging.matcher import EnterpriseMatcher

KINDS = ("party_name", "similar_name", "mention", "store")
HIGH = "high"

Pair = tuple[str, str, Role]  # (document id, enterprise external id, role)


@dataclass(frozen=True, slots=True)
class Label:
    document_id: str
    enterprise: str  # external id of the registry entry
    role: Role
    kind: str  # the evidence expected: see KINDS
    optional: bool = False
    note: str = ""

    @property
    def pair(self) -> Pair:
        return (self.document_id, self.enterprise, self.role)


@dataclass
class EvaluationSet:
    registry: list[EnterpriseRecord]  # real entries and decoys, numbered from 1
    decoys: frozenset[str]  # external ids
    documents: list[Document]
    labels: list[Label]

    def build_matcher(self, *, decoys_only: bool = False) -> EnterpriseMatcher:
        records = [r for r in self.registry if r.external_id in self.decoys] if decoys_only else self.registry
        return EnterpriseMatcher.build(records)


class EvaluationSetError(ValueError):
    """The evaluation files contradict themselves (unknown enterprise, document or role)."""


def load_evaluation_set(directory: Path, samples_dir: Path) -> EvaluationSet:
    records = _read_registry(directory / "registry.json")
    decoys = _read_registry(directory / "decoys.json")
    registry = [
        record.model_copy(update={"id": number}) for number, record in enumerate([*records, *decoys], start=1)
    ]
    known = {record.external_id for record in registry}
    if len(known) != len(registry):
        raise EvaluationSetError("an enterprise id is used twice in registry.json / decoys.json")
    gold = json.loads((directory / "gold.json").read_text(encoding="utf-8"))
    documents = load_documents(samples_dir, gold["sources"])
    labels = list(_labels(gold["documents"]))
    decoy_ids = frozenset(record.external_id for record in decoys)
    document_ids = {document.id for document in documents}
    for label in labels:
        if label.document_id not in document_ids:
            raise EvaluationSetError(f"{label.document_id}: no such document in the sources")
        if label.enterprise not in known:
            raise EvaluationSetError(f"{label.document_id}: unknown enterprise {label.enterprise!r}")
        if label.enterprise in decoy_ids:
            raise EvaluationSetError(f"{label.document_id}: {label.enterprise} is a decoy")
    return EvaluationSet(registry, decoy_ids, documents, labels)


def _read_registry(path: Path) -> list[EnterpriseRecord]:
    records, problems = read_registry_file(path)
    if problems:
        raise EvaluationSetError(f"{path.name}: {'; '.join(map(str, problems))}")
    return records


def load_documents(samples_dir: Path, sources: Iterable[dict[str, str]]) -> list[Document]:
    """The documents of the sample files, in order.  A document read again (the search result,
    then its full text) is merged the way the crawler merges them: one document, both texts."""
    by_id: dict[str, Document] = {}
    for source in sources:
        result = get_parser(source["parser"])((samples_dir / source["file"]).read_bytes())
        if result.problems:
            raise EvaluationSetError(f"{source['file']}: {result.problems}")
        for document in result.documents:
            known = by_id.get(document.id)
            by_id[document.id] = document if known is None else merge_documents(known, document)
    return list(by_id.values())


def _labels(documents: dict[str, dict[str, Any]]) -> Iterable[Label]:
    for document_id, enterprises in documents.items():
        for enterprise, value in enterprises.items():
            spec = {"role": value} if isinstance(value, str) else value
            try:
                role = Role(spec["role"])
            except ValueError:
                raise EvaluationSetError(f"{document_id}/{enterprise}: no role {spec['role']!r}") from None
            kind = spec.get("kind") or ("mention" if role is Role.MENTION else "party_name")
            if kind not in KINDS:
                raise EvaluationSetError(f"{document_id}/{enterprise}: unknown kind {kind!r}")
            yield Label(document_id, enterprise, role, kind, bool(spec.get("optional")), spec.get("note", ""))


# --- scoring -------------------------------------------------------------------------------------


@dataclass
class Figures:
    predicted: int = 0  # high-confidence matches reported
    correct: int = 0  # of which labelled
    expected: int = 0  # labels (not optional)
    found: int = 0  # of which reported with high confidence and the labelled role

    @property
    def precision(self) -> float | None:
        return self.correct / self.predicted if self.predicted else None

    @property
    def recall(self) -> float | None:
        return self.found / self.expected if self.expected else None


@dataclass(frozen=True, slots=True)
class Reported:
    """One match as the evaluation sees it."""

    document_id: str
    enterprise: str
    role: Role
    kind: str
    confidence: str
    evidence: str
    variant: str

    @property
    def pair(self) -> Pair:
        return (self.document_id, self.enterprise, self.role)


@dataclass
class EvaluationReport:
    documents: int
    enterprises: int
    decoys: int
    by_kind: dict[str, Figures]  # high confidence
    overall: Figures  # high confidence, all kinds
    any_confidence: Figures  # high or low, all kinds
    wrong: list[Reported] = field(default_factory=list)  # high, not labelled
    missed: list[Label] = field(default_factory=list)  # labelled, not found with high confidence
    decoys_high: list[Reported] = field(default_factory=list)
    decoys_low: list[Reported] = field(default_factory=list)
    # The same documents with only the decoys registered: nothing better is there to be found, so
    # every near name reaches the scorer.  Every match is wrong; none may be high.
    decoys_alone_high: list[Reported] = field(default_factory=list)
    decoys_alone_low: list[Reported] = field(default_factory=list)
    complainants_as_adverse: list[Reported] = field(default_factory=list)  # any confidence

    def format(self) -> str:
        lines = [
            f"tagging evaluation: {self.documents} documents, {self.enterprises} enterprises "
            f"({self.decoys} decoys), {self.overall.expected} labels",
            f"{'kind':<20}{'reported':>9}{'correct':>9}{'precision':>11}{'labels':>9}{'found':>7}{'recall':>8}",
        ]
        rows = [*(f"{kind} (high)" for kind in KINDS), "all (high)", "all (any)"]
        figures = [*(self.by_kind[kind] for kind in KINDS), self.overall, self.any_confidence]
        for name, row in zip(rows, figures, strict=True):
            lines.append(
                f"{name:<20}{row.predicted:>9}{row.correct:>9}{_ratio(row.precision):>11}"
                f"{row.expected:>9}{row.found:>7}{_ratio(row.recall):>8}"
            )
        lines.append(
            f"decoys matched: {len(self.decoys_high)} high, {len(self.decoys_low)} low; registered alone: "
            f"{len(self.decoys_alone_high)} high, {len(self.decoys_alone_low)} low"
        )
        lines.append(f"complainants reported in an adverse role: {len(self.complainants_as_adverse)}")
        lines.extend(f"  wrong:  {_describe(item)}" for item in self.wrong)
        lines.extend(f"  decoy:  {_describe(item)}" for item in self.decoys_alone_high)
        lines.extend(
            f"  missed: {label.document_id} {label.enterprise} as {label.role.value} ({label.kind})"
            + (f" [{label.note}]" if label.note else "")
            for label in self.missed
        )
        return "\n".join(lines)


def _ratio(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _describe(item: Reported) -> str:
    return (
        f"{item.document_id} {item.enterprise} as {item.role.value} ({item.kind}, {item.confidence}): "
        f"{item.evidence!r} ~ {item.variant!r}"
    )


def evaluate(evaluation: EvaluationSet) -> EvaluationReport:
    reported = tag_all(evaluation, evaluation.build_matcher())
    decoys_alone = tag_all(evaluation, evaluation.build_matcher(decoys_only=True))
    return score(evaluation, reported, decoys_alone)


def tag_all(evaluation: EvaluationSet, matcher: EnterpriseMatcher) -> list[Reported]:
    external = {record.id: record.external_id for record in evaluation.registry}
    return [
        _reported(document.id, match, external)
        for document in evaluation.documents
        for match in matcher.match(document)
    ]


def _reported(document_id: str, match: Match, external: dict[int | None, str]) -> Reported:
    return Reported(
        document_id,
        external[match.enterprise_id],
        match.role,
        match.kind,
        match.confidence,
        match.evidence,
        match.variant,
    )


def score(
    evaluation: EvaluationSet, reported: Sequence[Reported], decoys_alone: Sequence[Reported] = ()
) -> EvaluationReport:
    """Precision and recall of ``reported`` against the labels (see the module docstring);
    ``decoys_alone``: what a registry of the decoys only reported on the same documents."""
    required = {label.pair: label for label in evaluation.labels if not label.optional}
    optional = {label.pair for label in evaluation.labels if label.optional}
    high = [item for item in reported if item.confidence == HIGH]
    by_kind = {kind: Figures() for kind in KINDS}
    for item in high:
        if item.pair in optional:
            continue
        figures = by_kind.setdefault(item.kind, Figures())
        figures.predicted += 1
        figures.correct += item.pair in required
    found_high = {item.pair for item in high}
    for label in required.values():
        figures = by_kind[label.kind]
        figures.expected += 1
        figures.found += label.pair in found_high
    complainants = {
        (label.document_id, label.enterprise) for label in evaluation.labels if label.role is Role.COMPLAINANT
    }
    return EvaluationReport(
        documents=len(evaluation.documents),
        enterprises=len(evaluation.registry),
        decoys=len(evaluation.decoys),
        by_kind=by_kind,
        overall=_pairs_figures({item.pair for item in high} - optional, required),
        any_confidence=_pairs_figures({item.pair for item in reported} - optional, required),
        wrong=sorted(
            (item for item in high if item.pair not in required and item.pair not in optional),
            key=lambda item: item.pair,
        ),
        missed=[label for pair, label in sorted(required.items()) if pair not in found_high],
        decoys_high=[item for item in high if item.enterprise in evaluation.decoys],
        decoys_low=[
            item for item in reported if item.confidence != HIGH and item.enterprise in evaluation.decoys
        ],
        decoys_alone_high=[item for item in decoys_alone if item.confidence == HIGH],
        decoys_alone_low=[item for item in decoys_alone if item.confidence != HIGH],
        complainants_as_adverse=[
            item
            for item in reported
            if item.role in ADVERSE_ROLES and (item.document_id, item.enterprise) in complainants
        ],
    )


def _pairs_figures(predicted: set[Pair], required: dict[Pair, Label]) -> Figures:
    correct = len(predicted & required.keys())
    return Figures(predicted=len(predicted), correct=correct, expected=len(required), found=correct)


def main(argv: list[str] | None = None) -> int:
    from ipsentry.config.settings import Settings

    args = sys.argv[1:] if argv is None else argv
    directory = Path(args[0]) if args else Path(__file__).resolve().parent.parent / "tests/tagging/evaluation"
    print(evaluate(load_evaluation_set(directory, Settings().samples_dir)).format())
    return 0


if __name__ == "__main__":
    sys.exit(main())
