import csv

import pytest

from grader.pipeline import Grader
from grader.scorecard.export import ScorecardFiles, csv_header
from tests.builders import transcript


def test_csv_has_chinese_headers_and_leaves_the_other_scenario_empty(tmp_path):
    grader = Grader()
    card = grader.grade(transcript("c 10:00:00 我的快递坏了", "a 10:00:05 非常抱歉，麻烦您拍个照片"), "aftersale")
    with ScorecardFiles(tmp_path, grader.rubric, grader.tz) as files:
        files.write([card])
    with open(tmp_path / "scorecards.csv", encoding="utf-8-sig", newline="") as f:
        header, row = list(csv.reader(f))
    assert header == csv_header(grader.rubric) and header[0] == "会话ID"
    cells = dict(zip(header, row))
    assert cells["场景"] == "售后" and cells["总分"] == str(card.total)
    assert cells["告诉客户店铺活动(5)"] == ""  # a pre-sale item on an after-sale chat
    assert cells["安抚客户情绪(5)"] == str(card.item("aftersale.soothe").score)
    assert cells["首次响应(秒)"] == "5.0"
    assert cells["不适用项目"] == "在承诺时间内主动联系客户解决问题"  # no timed promise was made
    assert cells["红线（一票否决）"] == ""
    assert cells["在承诺时间内主动联系客户解决问题(5)"] == "不适用"  # marked, so a column average leaves it out


def test_csv_names_the_red_lines_hit(tmp_path):
    grader = Grader()
    card = grader.grade(transcript("c 10:00:00 能便宜吗", "a 10:00:05 加我微信，私下转账便宜点"), "presale")
    with ScorecardFiles(tmp_path, grader.rubric, grader.tz) as files:
        files.write([card])
    with open(tmp_path / "scorecards.csv", encoding="utf-8-sig", newline="") as f:
        header, row = list(csv.reader(f))
    cells = dict(zip(header, row))
    assert cells["红线（一票否决）"] == "引导线下交易/私下交易" and cells["总分"] == "0"


@pytest.mark.parametrize("platform, tz, shown, start", [
    ("pdd", "Asia/Shanghai", "拼多多", "2026-11-22 10:00:00"),
    ("jd", "Asia/Tokyo", "京东", "2026-11-22 11:00:00"),       # the run's --tz: the shop's clock
    ("douyin", "UTC", "抖音", "2026-11-22 02:00:00"),
    ("unknown", "Asia/Shanghai", "未知", "2026-11-22 10:00:00"),
], ids=["pdd", "jd-tokyo", "douyin-utc", "unknown"])
def test_csv_names_the_platform_in_chinese_and_starts_on_the_local_clock(tmp_path, platform, tz, shown, start):
    from datetime import datetime

    grader = Grader(options={"tz": tz})
    t = transcript("c 10:00:00 在吗", "a 10:00:05 您好")
    t.platform = platform
    with ScorecardFiles(tmp_path, grader.rubric, grader.tz) as files:
        files.write([grader.grade(t)])
    with open(tmp_path / "scorecards.csv", encoding="utf-8-sig", newline="") as f:
        header, row = list(csv.reader(f))
    cells = dict(zip(header, row))
    assert cells["平台"] == shown and cells["开始时间"] == start
    datetime.strptime(cells["开始时间"], "%Y-%m-%d %H:%M:%S")  # no offset: Excel types it as a date and time


def test_a_run_that_fails_half_way_leaves_the_previous_files_whole(tmp_path, monkeypatch):
    import errno
    import json as jsonlib

    from grader.batch import Run
    from grader.dates import DayRange
    from grader.scorecard.export import ScorecardFiles
    from grader.settings import GradeSettings
    from grader.store import Store

    chats = tmp_path / "in" / "a.jsonl"
    chats.parent.mkdir()
    chats.write_text("".join(jsonlib.dumps({"id": f"c{i}", "shop": "店", "messages": [
        {"time": "2026-11-22 10:00:00", "role": "customer", "sender": "tb1", "text": "在吗"},
        {"time": "2026-11-22 10:00:05", "role": "agent", "sender": "店:甲", "text": "在的"}]}) + "\n"
        for i in range(3)), encoding="utf-8")
    out = tmp_path / "out"
    store = Store(str(tmp_path / "g.db"))
    Run(store, GradeSettings(), DayRange(), out, progress=False).execute([chats])
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert sorted(before) == ["scorecards.csv", "scorecards.jsonl", "scorecards.versions.json", "set_aside.jsonl"]

    real = ScorecardFiles.write_serialized
    calls = {"n": 0}

    def disk_full(self, rows, **kw):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        real(self, rows, **kw)

    monkeypatch.setattr(ScorecardFiles, "write_serialized", disk_full)
    with pytest.raises(OSError):
        Run(store, GradeSettings(), DayRange(), out, progress=False, batch_size=1).execute([chats])
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # no .part left, old files whole
