"""The labelled evaluation of enterprise matching on the real samples (tests/tagging/evaluation/):
the quality targets of issue #6, asserted, and the figures printed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from ipsentry.config.settings import Settings
from ipsentry.core.documents import ADVERSE_ROLES, Role
from ipsentry.tagging.evaluation import (
    EvaluationReport,
    EvaluationSet,
    EvaluationSetError,
    Reported,
    evaluate,
    load_evaluation_set,
    score,
)

EVALUATION_DIR = Path(__file__).parent / "evaluation"
TARGET = 0.95
MIN_SAMPLE = 10  # a kind with fewer labels or reports is printed, not held to the target alone
# Decoys whose every name is made of generic words (a city, an industry, a legal form).
GENERIC_DECOYS = {
    "decoy-suzhou-technology",
    "decoy-zhuhai-technology",
    "decoy-xiamen-new-material",
    "decoy-nantong-new-material",
    "decoy-wenzhou-machinery",
    "decoy-beijing-technology",
    "decoy-shanghai-biotech",
    "decoy-anhui-international",
    "decoy-wuhu-auto",
    "decoy-hong-kong-international",
    "decoy-china-semiconductor",
    "decoy-global-electronics",
    "decoy-jiaxing-import-export",
    "decoy-xiamen-apparel",
}


@pytest.fixture(scope="module")
def evaluation() -> EvaluationSet:
    samples = Settings().samples_dir
    if not samples.is_dir():
        pytest.fail(f"the shared samples are missing at {samples} (set IPSENTRY_SAMPLES_DIR)")
    return load_evaluation_set(EVALUATION_DIR, samples)


@pytest.fixture(scope="module")
def report(evaluation: EvaluationSet) -> EvaluationReport:
    return evaluate(evaluation)


def test_the_set_is_large_enough(evaluation: EvaluationSet) -> None:
    required = [label for label in evaluation.labels if not label.optional]
    assert len(required) >= 150
    assert len(evaluation.decoys) >= 50
    assert len({label.document_id for label in required}) >= 100
    # every kind of source is labelled: search results, full text, news releases
    assert {label.document_id.split(":")[0] for label in required} >= {"fr", "usitc-news"}
    assert any(label.role in ADVERSE_ROLES for label in required)
    assert any(label.role is Role.COMPLAINANT for label in required)


def test_precision_and_recall_at_high_confidence_meet_the_targets(
    report: EvaluationReport, capsys: pytest.CaptureFixture[str]
) -> None:
    with capsys.disabled():
        print("\n" + report.format())
    assert report.overall.precision is not None and report.overall.precision >= TARGET
    assert report.overall.recall is not None and report.overall.recall >= TARGET
    for kind, figures in report.by_kind.items():
        if figures.predicted >= MIN_SAMPLE:
            assert figures.precision is not None and figures.precision >= TARGET, kind
        if figures.expected >= MIN_SAMPLE:
            assert figures.recall is not None and figures.recall >= TARGET, kind
    assert report.by_kind["party_name"].expected >= MIN_SAMPLE
    assert report.by_kind["mention"].expected >= MIN_SAMPLE


def test_no_decoy_is_ever_matched_with_high_confidence(report: EvaluationReport) -> None:
    assert report.decoys_high == []
    # With the real enterprises left out, near names do reach the decoys, and stay low.
    assert report.decoys_alone_high == []
    assert report.decoys_alone_low, "the decoys are never even candidates: they test nothing"


def test_decoys_of_generic_words_only_are_never_matched(report: EvaluationReport) -> None:
    matched = {item.enterprise for item in [*report.decoys_low, *report.decoys_alone_low]}
    assert not matched & GENERIC_DECOYS


def test_complainants_are_never_reported_as_respondents(report: EvaluationReport) -> None:
    assert report.complainants_as_adverse == []


# --- the scoring itself, on a hand-made set ---------------------------------------------------


def _tiny_set(tmp_path: Path, samples_dir: Path, labels: dict[str, object]) -> EvaluationSet:
    for name in ("registry.json", "decoys.json"):
        shutil.copy(EVALUATION_DIR / name, tmp_path / name)
    gold = json.loads((EVALUATION_DIR / "gold.json").read_text(encoding="utf-8"))
    raw_text = [source for source in gold["sources"] if source["parser"] == "federal-register-text"][:1]
    (tmp_path / "gold.json").write_text(json.dumps({"sources": raw_text, "documents": labels}))
    return load_evaluation_set(tmp_path, samples_dir)


def test_a_wrong_role_is_both_wrong_and_missed_and_optional_labels_count_neither_way(
    tmp_path: Path, samples_dir: Path
) -> None:
    labels = {
        "fr:2026-02297": {
            "infineon-americas": "complainant",
            "innoscience-zhuhai": "respondent",
            "innoscience-america": {"role": "respondent", "optional": True},
        }
    }
    evaluation = _tiny_set(tmp_path, samples_dir, labels)

    def reported(enterprise: str, role: Role, kind: str = "party_name") -> Reported:
        return Reported("fr:2026-02297", enterprise, role, kind, "high", "", "")

    result = score(
        evaluation,
        [
            reported("infineon-americas", Role.COMPLAINANT),
            reported("infineon-americas", Role.COMPLAINANT, "mention"),  # same pair, other kind
            reported("innoscience-zhuhai", Role.COMPLAINANT),  # wrong role
            reported("innoscience-america", Role.RESPONDENT),  # optional
        ],
    )
    assert (result.overall.predicted, result.overall.correct) == (2, 1)
    assert (result.overall.expected, result.overall.found) == (2, 1)
    assert [item.enterprise for item in result.wrong] == ["innoscience-zhuhai"]
    assert [label.enterprise for label in result.missed] == ["innoscience-zhuhai"]
    assert (result.by_kind["mention"].predicted, result.by_kind["mention"].correct) == (1, 1)
    assert result.by_kind["mention"].expected == 0  # the label expects party_name evidence


def test_labels_naming_an_unknown_enterprise_or_document_are_refused(
    tmp_path: Path, samples_dir: Path
) -> None:
    with pytest.raises(EvaluationSetError, match="unknown enterprise"):
        _tiny_set(tmp_path, samples_dir, {"fr:2026-02297": {"no-such-enterprise": "respondent"}})
    with pytest.raises(EvaluationSetError, match="no such document"):
        _tiny_set(tmp_path, samples_dir, {"fr:1999-00001": {"infineon-americas": "complainant"}})
    with pytest.raises(EvaluationSetError, match="is a decoy"):
        _tiny_set(tmp_path, samples_dir, {"fr:2026-02297": {"decoy-infineon-wuxi": "complainant"}})
