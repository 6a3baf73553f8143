"""``ipsentry tag --registry … --input …`` on files written from the real samples."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from ipsentry.cli_tag import tag
from ipsentry.crawlers.parsers.federal_register import parse_raw_text
from ipsentry.crawlers.parsers.itc337_news_release import parse_news_release

SEARCH_SAMPLE = "itc337/federal_register_337_titles_abstracts.json"
RAW_TEXT_SAMPLE = "itc337/fr_raw_text_2026-02297.html"
RELEASE_SAMPLE = "itc337/usitc_news_release_24-113_337-TA-1424_institution_xiamen_china.excerpt.txt"

REGISTRY = {
    "enterprises": [
        # registered in Chinese only: the English party names come from the pinyin bridge
        {"id": "cn-qingdao-cjwl", "name_zh": "青岛创建未来科技有限公司"},
        {"id": "cn-bytedance", "names_en": ["ByteDance Ltd."], "subsidiaries": ["ByteDance Inc."]},
        {
            "id": "tw-realtek",
            "name_zh": "瑞昱半导体股份有限公司",
            "names_en": ["Realtek Semiconductor Corp."],
        },
        {"id": "cn-innoscience-suzhou", "names_en": ["Innoscience (Suzhou) Technology Co., Ltd."]},
        {"id": "cn-dawnsens", "names_en": ["Dawnsens New Materials Company Limited"]},
        {"id": "us-infineon", "names_en": ["Infineon Technologies Americas Corporation"]},
        # shares only a city and generic words with the respondents: never high
        {"id": "cn-decoy", "names_en": ["Qingdao Technology Co., Ltd.", "Xiamen New Materials Co., Ltd."]},
        {"id": "", "names_en": ["a row without an id is reported, not imported"]},
    ]
}


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command(name="tag")(tag)

    @app.callback()
    def _group() -> None:  # keeps "tag" a named subcommand, as in the real CLI
        pass

    return app


def _write_inputs(tmp_path: Path, samples_dir: Path) -> tuple[Path, Path]:
    search = json.loads((samples_dir / SEARCH_SAMPLE).read_text(encoding="utf-8"))
    by_number = {record["document_number"]: record for record in search}
    [notice] = parse_raw_text((samples_dir / RAW_TEXT_SAMPLE).read_bytes()).documents
    [release] = parse_news_release((samples_dir / RELEASE_SAMPLE).read_bytes()).documents
    documents: list[Any] = [
        by_number["2025-18532"],  # Federal Register search records, as the API gives them
        by_number["2023-01326"],
        {"id": "notice-2026-02297", "title": notice.title, "text": notice.text},  # plain text only
        {  # a document with its parties given
            "id": "release-24-113",
            "title": release.title,
            "parties": [party.model_dump(mode="json") for party in release.parties],
        },
        {"title": "a record without an id"},
    ]
    registry_path = tmp_path / "registry.json"
    registry_path.write_text(json.dumps(REGISTRY, ensure_ascii=False), encoding="utf-8")
    input_path = tmp_path / "documents.json"
    input_path.write_text(json.dumps(documents, ensure_ascii=False), encoding="utf-8")
    return registry_path, input_path


def _run(*args: str) -> Any:
    return CliRunner().invoke(_app(), ["tag", *args])


def test_tag_prints_one_json_line_per_document(tmp_path: Path, samples_dir: Path) -> None:
    registry, documents = _write_inputs(tmp_path, samples_dir)
    result = _run("--registry", str(registry), "--input", str(documents))
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["document_id"] for line in lines] == [
        "2025-18532",
        "2023-01326",
        "notice-2026-02297",
        "release-24-113",
    ]
    found = {
        line["document_id"]: {(m["enterprise_id"], m["role"], m["confidence"]) for m in line["matches"]}
        for line in lines
    }
    for line in lines:
        for match in line["matches"]:
            assert set(match) >= {"enterprise_id", "role", "score", "confidence", "evidence"}
            assert 0 < match["score"] <= 1
            assert match["evidence"]
    # Roles come from the Federal Register parser reading the abstract.
    assert found["2025-18532"] == {
        ("cn-qingdao-cjwl", "respondent", "high"),
        ("cn-bytedance", "respondent", "high"),
    }
    assert found["2023-01326"] == {("tw-realtek", "complainant", "high")}
    # Plain text: the names are found, as mentions.
    assert ("cn-innoscience-suzhou", "mention", "high") in found["notice-2026-02297"]
    assert ("us-infineon", "mention", "high") in found["notice-2026-02297"]
    # Given parties keep their roles; the AKA name finds the enterprise.
    assert found["release-24-113"] == {("cn-dawnsens", "respondent", "high")}
    assert not any(m[0] == "cn-decoy" and m[2] == "high" for matches in found.values() for m in matches)
    qingdao = next(m for m in lines[0]["matches"] if m["enterprise_id"] == "cn-qingdao-cjwl")
    assert qingdao["evidence"] == "Qingdao Chuangjian Weilai Technology Co., Ltd."
    # What could not be read is said on stderr.
    assert "record 5" in result.stderr and 'no "id"' in result.stderr
    assert "row 8" in result.stderr
    assert "4 documents tagged, 6 matches, 1 skipped" in result.stderr


def test_a_search_response_object_is_read_like_its_results(tmp_path: Path, samples_dir: Path) -> None:
    registry, _ = _write_inputs(tmp_path, samples_dir)
    search = json.loads((samples_dir / SEARCH_SAMPLE).read_text(encoding="utf-8"))
    response = tmp_path / "response.json"
    response.write_text(json.dumps({"count": len(search), "results": search}), encoding="utf-8")
    result = _run("--registry", str(registry), "--input", str(response))
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == len(search) == 792
    matched = {line["document_id"] for line in lines if line["matches"]}
    assert {"2025-18532", "2023-01326"} <= matched


@pytest.mark.parametrize(
    ("content", "message"),
    [("{not json", "not JSON"), ('{"count": 3}', "expected a list of documents")],
)
def test_an_unreadable_input_file_is_exit_code_2(
    tmp_path: Path, samples_dir: Path, content: str, message: str
) -> None:
    registry, _ = _write_inputs(tmp_path, samples_dir)
    broken = tmp_path / "broken.json"
    broken.write_text(content, encoding="utf-8")
    result = _run("--registry", str(registry), "--input", str(broken))
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stdout == ""
