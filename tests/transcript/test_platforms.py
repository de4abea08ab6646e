"""Which platform a chat is from: the export's column, normalised, else what the export shows."""
import pytest

from grader.transcript.platforms import guess_platform, platform_code, platform_of


@pytest.mark.parametrize("value, code", [
    ("pdd", "pdd"), ("拼多多", "pdd"), ("JD", "jd"), ("京东", "jd"), ("Tmall", "taobao"), ("淘宝/天猫", "taobao"),
    ("抖音", "douyin"), ("抖店", "douyin"), ("other", "other"),
    ("某某商城", None),  # names none: kept as given by platform_of
    ("", None),
])
def test_a_platform_column_is_normalised(value, code):
    assert platform_code(value) == code


@pytest.mark.parametrize("file, customers, code", [
    ("transcripts/table/pdd_shop_export_zh.csv", [], "pdd"),        # the bundled sample (was "unknown")
    ("exports/京东客服记录.xlsx", [], "jd"),
    ("archive.zip/douyin_shop_export.csv", [], "douyin"),
    ("x.csv", ["拼多多用户_8812"], "pdd"),                             # the platform's default buyer nickname
    ("x.csv", ["jd_55e0b713"], "jd"),
    ("x.csv", ["抖音用户7788"], "douyin"),
    ("shop_data.csv", ["小明"], "unknown"),                           # nothing to go by
    ("tbexport.csv", [], "unknown"),                                  # tricky: a word must stand on its own
    ("jdx_report.csv", [], "unknown"),
])
def test_an_export_without_a_platform_column_shows_one(file, customers, code):
    assert guess_platform(file, customers) == code


def test_the_column_wins_over_the_file_name():
    assert platform_of("京东", "pdd_export.csv") == "jd"
    assert platform_of("某某商城", "pdd_export.csv") == "某某商城"
    assert platform_of(None, "pdd_export.csv") == "pdd"


def test_the_bundled_pdd_sample_is_pinduoduo():
    from pathlib import Path

    from grader.transcript.reader import read_paths

    sample = Path(__file__).resolve().parents[2] / "transcripts" / "table" / "pdd_shop_export_zh.csv"
    result = read_paths([sample])
    assert result.transcripts and {t.platform for t in result.transcripts} == {"pdd"}
