import pytest

from grader.detectors.lexicon import LexiconSet
from grader.detectors.polite_language import PoliteLanguageDetector
from tests.builders import chat


@pytest.fixture(scope="module")
def detector():
    return PoliteLanguageDetector(LexiconSet.load())


def measure(detector, *lines):
    (m,) = detector.detect(chat(*lines))
    assert m.item == "polite_language"
    return m


# One agent message per case: is it polite by the closed list (请, 您, 谢谢, 对不起, 不好意思, 不客气),
# and which term shows it. Friendly words off the list do not count by themselves.
@pytest.mark.parametrize("name, text, polite, term", [
    ("请 as a word", "请稍后再试一下", True, "请"),
    ("请问", "请问要什么颜色", True, "请"),
    ("您好", "您好，在的", True, "您"),
    ("您 alone", "这个给您发顺丰", True, "您"),
    ("感谢您 counts through 您", "感谢您的耐心", True, "您"),
    ("谢谢", "谢谢支持", True, "谢谢"),
    ("对不起", "对不起，发错了", True, "对不起"),
    ("不好意思", "不好意思久等了", True, "不好意思"),
    ("不客气 holds no other listed word", "不客气哈", True, "不客气"),
    # jieba glues 请 to its neighbours; the compound decides, not jieba's boundary
    ("亲请 glued by jieba", "亲请核对一下地址", True, "请"),
    ("请亲 glued by jieba", "请亲耐心等待一下", True, "请"),
    ("请点 glued by jieba", "请点这里领取", True, "请"),
    ("还请 before a verb", "还请稍等片刻", True, "请"),
    ("申请 is not 请", "可以申请退款", False, None),
    ("邀请 is not 请", "邀请好友下单有返现", False, None),
    ("请假 is not 请", "仓库同事请假了", False, None),
    ("请求 is not 请", "系统请求超时了", False, None),
    ("申请 then a real 请", "申请好了，请留意短信", True, "请"),
    # off the closed list
    ("亲 as address is not on the list", "亲，有货的", False, None),
    ("亲亲", "亲亲，已经发货了", False, None),
    ("亲爱的", "亲爱的，这边查到了", False, None),
    ("抱歉 alone", "抱歉哈，没货了", False, None),
    ("感谢 without 您", "感谢惠顾", False, None),
    ("辛苦了", "辛苦了，收到货检查一下", False, None),
    ("没关系", "没关系的", False, None),
    ("亲自 is not 亲 either", "我亲自去仓库看过了", False, None),
    ("plain answer", "有货的，今天发", False, None),
])
def test_polite_single_message(detector, name, text, polite, term):
    m = measure(detector, "c 10:00:00 在吗", f"a 10:00:05 {text}")
    assert m.value == (1.0 if polite else 0.0), name
    (f,) = m.findings
    assert f.positive == polite
    assert f.evidence[0].message_index == 1
    if polite:
        assert f.kind == "polite" and f.evidence[0].quote == term and f.lexicon == "polite"
    else:
        assert f.kind == "not_polite" and f.evidence[0].quote == text


# 你 is reported (a negative finding the supervisor sees) but does not cancel a listed word.
@pytest.mark.parametrize("name, text, quote, polite", [
    ("你 instead of 您", "你要哪个颜色", "你", False),
    ("你们", "你们那边签收一下", "你们", False),
    ("你的", "你的快递到了", "你的", False),
    ("你好 is not 您好", "你好，在的", "你好", False),
    ("请 still counts beside 你", "请你提供一下订单号", "你", True),
    ("谢谢你 still holds 谢谢", "谢谢你的支持", "谢谢你", True),
])
def test_you_address_is_reported_not_cancelling(detector, name, text, quote, polite):
    m = measure(detector, "c 10:00:00 在吗", f"a 10:00:05 {text}")
    assert m.value == (1.0 if polite else 0.0), name
    you = [f for f in m.findings if f.kind == "you_address"]
    assert len(you) == 1 and not you[0].positive and you[0].evidence[0].quote == quote
    assert [f.kind for f in m.findings if f.kind != "you_address"] == ["polite" if polite else "not_polite"]


def _shop_lexicons(tmp_path, edit):
    """A copy of the bundled lexicons with one file edited, as a shop would."""
    import shutil
    from grader.detectors.lexicon import default_lexicon_dir
    shutil.copytree(default_lexicon_dir(), tmp_path / "lex")
    edit(tmp_path / "lex")
    return PoliteLanguageDetector(LexiconSet.load(tmp_path / "lex"))


def test_shop_switch_counts_qin_as_polite(tmp_path):
    def switch_on(d):
        p = d / "polite.txt"
        p.write_text(p.read_text(encoding="utf-8").replace("# 亲 ; word", "亲 ; word"), encoding="utf-8")
    m = measure(_shop_lexicons(tmp_path, switch_on), "c 10:00:00 在吗", "a 10:00:05 亲，有货的")
    assert m.value == 1.0


def test_shop_switch_lets_you_cancel(tmp_path):
    def strict(d):
        p = d / "impolite_address.txt"
        p.write_text(p.read_text(encoding="utf-8").replace("cancels_polite: no", "cancels_polite: yes"),
                     encoding="utf-8")
    m = measure(_shop_lexicons(tmp_path, strict), "c 10:00:00 在吗", "a 10:00:05 请你提供一下订单号")
    assert m.value == 0.0


def test_mini_is_not_you(detector):
    m = measure(detector, "c 10:00:00 有小号吗", "a 10:00:05 您看这款迷你款")
    assert m.value == 1.0
    assert [f.kind for f in m.findings] == ["polite"]


def test_share_and_exclusions(detector):
    m = measure(detector,
                "c 10:00:00 在吗",
                "auto 10:00:01 【自动回复】欢迎光临",          # auto-reply: not the agent's words
                "a 10:00:05 您好，在的",                      # polite
                "a 10:00:06 https://item.taobao.com/x.htm",   # bare link: left out
                "a 10:00:07 [图片]",                          # image: left out
                "c 10:00:30 有黑色吗",
                "a 10:00:40 有的",                            # not polite
                "a 10:00:41 你要几件",                        # 你 and no listed word: not polite
                "a 10:00:50 谢谢亲")                          # polite
    assert m.value == pytest.approx(0.5)
    assert m.metrics == {"polite_coverage": 0.5, "polite_messages": 2, "countable_messages": 4,
                         "polite_excluded_messages": 2}
    kinds = {f.evidence[0].message_index: f.kind for f in m.findings if f.kind != "you_address"}
    assert kinds == {2: "polite", 6: "not_polite", 7: "not_polite", 8: "polite"}


def test_no_human_agent_message(detector):
    m = measure(detector, "c 10:00:00 在吗", "auto 10:00:01 您好，欢迎光临")
    assert m.value is None and m.needs_review
    assert m.metrics["polite_coverage"] is None


def test_only_placeholders(detector):
    m = measure(detector, "c 10:00:00 在吗", "a 10:00:05 [图片]")
    assert m.value is None and m.needs_review
    assert m.metrics["polite_excluded_messages"] == 1


def test_shared_case_c11_jieba_glued_phrases():
    """../shared/cases/exports/c11: real-style lines where jieba glues 请 or 亲 to a neighbour; by the
    closed list 4 of 7 messages are polite (57 % → 8)."""
    from pathlib import Path

    from grader.pipeline import Grader
    from grader.transcript import read_paths
    path = Path(__file__).resolve().parents[3] / "shared" / "cases" / "exports" / "c11_polite_jieba_real_phrases.jsonl"
    if not path.exists():
        pytest.skip(f"shared cases not present at {path}")
    (t,) = read_paths([path]).transcripts
    item = Grader().grade(t).item("polite_language")
    assert item.value == pytest.approx(4 / 7, abs=1e-3) and item.score == 8
