import csv

from grader.pipeline import Grader
from grader.scorecard.export import ScorecardFiles, csv_header
from tests.builders import transcript


def test_csv_has_chinese_headers_and_leaves_the_other_scenario_empty(tmp_path):
    grader = Grader()
    card = grader.grade(transcript("c 10:00:00 我的快递坏了", "a 10:00:05 非常抱歉，麻烦您拍个照片"), "aftersale")
    with ScorecardFiles(tmp_path, grader.rubric) as files:
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
