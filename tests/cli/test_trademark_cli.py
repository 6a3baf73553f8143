"""``ipsentry trademark screen`` on the real USPTO samples, through Typer's CLI runner."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from ipsentry.cli_trademark import app

DAY = "trademark/uspto-apc-style-3records.xml"  # SUVENEER (NA), MADISON SQUARE GARDEN, NITRO GLISSERIN


@pytest.fixture
def registry(tmp_path: Path) -> Path:
    path = tmp_path / "registry.json"
    path.write_text(
        json.dumps(
            {
                "enterprises": [
                    {
                        "id": "cn-shili",
                        "name_zh": "深圳市示例科技有限公司",
                        "names_en": ["Shenzhen Shili Technology Co., Ltd."],
                        "brands": [
                            {"text": "SOUVENEER", "classes": [16]},
                            {"text": "Glisserin", "classes": [3]},
                        ],
                    },
                    # The same mark in a class the filing does not list: no candidate.
                    {"id": "cn-apparel", "names_en": ["Apparel Co., Ltd."], "brands": ["SUVENEER:25"]},
                    # The filer itself, registered under a "Co., Ltd." form of its name.
                    {"id": "vn-owner", "names_en": ["NGUYEN QUANG HUY CO., LTD."], "brands": ["SUVENEER:16"]},
                ]
            },
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    return path


def _lines(output: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def test_screen_prints_candidates_as_json_lines(samples_dir: Path, registry: Path) -> None:
    result = CliRunner().invoke(app, ["screen", "--registry", str(registry), str(samples_dir / DAY)])

    assert result.exit_code == 0, result.output
    lines = _lines(result.stdout)
    assert [(c["serial"], c["enterprise_external_id"], c["brand"]) for c in lines] == [
        ("98763166", "cn-shili", "SOUVENEER"),
        ("79366581", "cn-shili", "Glisserin"),
    ]
    suveneer, nitro = lines
    assert suveneer["mark"] == "SUVENEER"
    assert suveneer["applicant"] == "Nguyen Quang Huy" and suveneer["applicant_country"] == "VN"
    assert suveneer["enterprise_name"] == "深圳市示例科技有限公司"
    assert suveneer["score"] == pytest.approx(0.9412) and suveneer["measure"] == "ratio"
    assert suveneer["classes"] == [16]
    assert suveneer["deadline"] is None  # not yet published
    assert "30 days from publication" in suveneer["opposition"]["expected"]
    assert any("classes overlap: 16" in reason for reason in suveneer["reasons"])
    # NITRO GLISSERIN was published on 2024-02-20: 30 days to oppose.
    assert nitro["matched_field"] == "mark words" and nitro["matched_text"] == "glisserin"
    assert nitro["deadline"] == "2024-03-21"
    assert nitro["applicant"] == "GIORGI TVILDIANI" and nitro["applicant_country"] == "TR"


def test_zipped_daily_file_and_new_filings_only(samples_dir: Path, registry: Path, tmp_path: Path) -> None:
    archive = tmp_path / "apc240925.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as handle:
        handle.write(samples_dir / DAY, "apc240925.xml")

    result = CliRunner().invoke(app, ["screen", "--registry", str(registry), "--new-only", str(archive)])

    assert result.exit_code == 0, result.output
    [line] = _lines(result.stdout)
    assert (line["file"], line["serial"], line["brand"]) == ("apc240925.zip", "98763166", "SOUVENEER")


def test_registered_under_the_main_app_as_trademark(samples_dir: Path, registry: Path) -> None:
    # As the lead registers it in ipsentry.cli: app.add_typer(trademark_app, name="trademark").
    root = typer.Typer()
    root.add_typer(app, name="trademark")

    @root.command()
    def version() -> None:  # a second command, as the real app has many
        print("0")

    result = CliRunner().invoke(
        root, ["trademark", "screen", "--registry", str(registry), "--new-only", str(samples_dir / DAY)]
    )
    assert result.exit_code == 0, result.output
    assert [line["serial"] for line in _lines(result.stdout)] == ["98763166"]


def test_unreadable_registry_is_exit_code_2(samples_dir: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty.json"
    empty.write_text('{"enterprises": []}', encoding="utf-8")
    result = CliRunner().invoke(app, ["screen", "--registry", str(empty), str(samples_dir / DAY)])
    assert result.exit_code == 2
    assert result.stdout == ""
