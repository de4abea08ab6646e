"""The platforms' own KPIs (grader.report.platform_kpis): per mode, chats that count and chats that
must not, and a worked example reproducing each platform's published formula (docs/month.md)."""
import pytest

from grader.report.platform_kpis import (agent_figures, douyin_units, figures, figures_frame, jd_units, month_units,
                                         pdd_units, taobao_units, units_frame)
from grader.report.policy import parse_policy
from tests.builders import transcript


def robot(t, index, mode):
    """Mark message `index` as a robot's reply in `mode` ("assist" | "full"), as the reader does."""
    m = t.messages[index]
    m.auto_reply, m.robot = True, mode
    return t


# --- Taobao/Tmall: 旺旺人工平响 and 3分钟响应率, per reply round ----------------------------------------

TAOBAO = [
    pytest.param(["c 10:00:00 在吗", "a 10:00:20 您好"], [(True, 20.0)], id="a person's reply: one round"),
    pytest.param(["c 10:00:00 在吗", "c 10:00:30 有货吗", "a 10:01:00 有的"], [(True, 60.0)],
                 id="two lines before the reply are one round from the first"),
    pytest.param(["c 10:00:00 在吗", "a 10:00:10 在", "c 10:02:00 M码有吗", "a 10:02:30 有"],
                 [(True, 10.0), (True, 30.0)], id="a line after a reply opens the next round"),
    pytest.param(["c 10:00:00 在吗", "auto 10:00:01 欢迎光临", "a 10:00:40 您好"], [(True, 40.0)],
                 id="an auto-reply inside the human stage is no valid reply"),
    pytest.param(["c 10:00:00 在吗"], [(True, None)], id="unanswered: counts 600 s"),
    pytest.param(["c 07:59:00 在吗", "a 08:01:00 您好"], [(False, 120.0)], id="tricky-begun before 08:00: left out"),
    pytest.param(["c 23:00:00 在吗", "a 23:00:10 您好"], [(False, 10.0)], id="23:00 is outside 08:00-23:00"),
    pytest.param(["c 22:59:59 在吗", "a 23:00:30 您好"], [(True, 31.0)], id="begun 22:59:59 counts"),
    pytest.param(["c 10:00:00 在吗", "auto 10:00:01 亲，机器人为您服务"], [(False, None)],
                 id="received only by a fully automatic robot: left out"),
]


@pytest.mark.parametrize("lines, expected", TAOBAO)
def test_taobao_rounds(lines, expected):
    units = taobao_units(transcript(*lines), "小美")
    assert [(u.counted, u.wait) for u in units] == expected


def test_taobao_assist_robot_counts_but_a_full_robot_does_not():
    assist = robot(transcript("c 10:00:00 在吗", "a 10:00:05 您好，有什么可以帮您"), 1, "assist")
    assert [(u.counted, u.wait) for u in taobao_units(assist, "小美")] == [(True, 5.0)]
    auto = robot(transcript("c 10:00:00 在吗", "a 10:00:05 您好", "a 10:01:00 我是人工小美"), 1, "full")
    assert [(u.counted, u.wait) for u in taobao_units(auto, "小美")] == [(True, 60.0)]


def test_taobao_worked_example():
    """旺旺人工平响 = Σ 每轮回复时长（单轮最多 600 秒，未回复记 600 秒）÷ 轮次 (diantuoyi.com/article/4966):
    rounds of 30 s, 15 min (→600), unanswered (→600) and an assist robot's 5 s; a fully automatic chat
    and a round begun at 07:30 are left out: (30 + 600 + 600 + 5) ÷ 4 = 308.75 s.
    3分钟响应率 = 3 分钟内回复的轮次 ÷ 轮次 = 2 ÷ 4 (the 30 s and the 5 s rounds)."""
    chats = [transcript("c 10:00:00 在吗", "a 10:00:30 您好", id="a"),
             transcript("c 11:00:00 有货吗", "a 11:15:00 有", id="b"),
             transcript("c 12:00:00 发货了吗", id="c"),
             robot(transcript("c 13:00:00 在", "a 13:00:05 在的亲", id="d"), 1, "assist"),
             robot(transcript("c 14:00:00 在", "a 14:00:01 自动回复", id="e"), 1, "full"),
             transcript("c 07:30:00 早", "a 07:31:00 早", id="f")]
    units = [u for t in chats for u in taobao_units(t, "小美")]
    f = figures("小美", "taobao", units)
    assert f.values["旺旺人工平响(秒)"] == pytest.approx(308.75) and f.bases["旺旺人工平响(秒)"] == 4
    assert f.values["3分钟响应率"] == 0.5 and f.counted["3分钟响应率"] == ["b", "c"]


def test_taobao_three_minute_examples_from_the_published_rule():
    """The published examples (dingjiuxi.cn, 淘宝三分钟响应率): asked 10:10:15, again 10:15:20, answered
    10:18:10 → 0/1; then asked 10:18:30, answered 10:19:00 → 1/2; ten questions never answered → 0/1."""
    one = transcript("c 10:10:15 在吗", "c 10:15:20 在吗？", "a 10:18:10 在的")
    assert figures("x", "taobao", taobao_units(one, "x")).values["3分钟响应率"] == 0
    two = transcript("c 10:10:15 在吗", "c 10:15:20 在吗？", "a 10:18:10 在的", "c 10:18:30 有货吗", "a 10:19:00 有")
    assert figures("x", "taobao", taobao_units(two, "x")).values["3分钟响应率"] == 0.5
    ten = transcript(*[f"c 10:{m:02d}:{s:02d} 问题{m}{s}" for m in range(10, 13) for s in (0, 20, 40)][:10])
    f = figures("x", "taobao", taobao_units(ten, "x"))
    assert f.values["3分钟响应率"] == 0 and f.bases["3分钟响应率"] == 1


# --- JD: 30秒应答率 on the first consultation of a session ---------------------------------------

JD = [
    pytest.param([["c 10:00:00 在吗", "a 10:00:20 您好"]], [(True, 20.0)], id="answered in 20 s"),
    pytest.param([["c 10:00:00 在吗", "a 10:00:20 您好", "c 10:05:00 还有", "a 10:08:00 好"]], [(True, 20.0)],
                 id="later slow rounds of the session are not the first consultation"),
    pytest.param([["c 10:00:00 在吗", "a 10:00:20 您好", "c 10:30:00 又来了", "a 10:31:00 好"]],
                 [(True, 20.0), (True, 60.0)], id="back after 10 minutes: a new session"),
    pytest.param([["c 10:00:00 在吗", "a 10:00:10 您好"], ["c 10:05:00 刚才的问题", "a 10:07:00 好"]],
                 [(True, 10.0)], id="tricky-a second chat within 10 minutes continues the session"),
    pytest.param([["c 08:56:00 在吗", "a 09:01:00 您好"]], [(False, 300.0)],
                 id="begun 08:56, answered 09:01: left out (session start decides)"),
    pytest.param([["c 23:10:00 在吗", "a 23:10:05 您好"]], [(False, 5.0)], id="begun after 23:00: left out"),
    pytest.param([["c 10:00:00 在吗", "auto 10:00:01 欢迎", "a 10:00:45 您好"]], [(True, 45.0)],
                 id="the robot's welcome is no answer"),
    pytest.param([["c 10:00:00 在吗"]], [(True, None)], id="never answered: counts, not within 30 s"),
]


@pytest.mark.parametrize("chats, expected", JD)
def test_jd_sessions(chats, expected):
    ts = [(transcript(*lines, id=f"t{n}"), "小美") for n, lines in enumerate(chats)]
    assert [(u.counted, u.wait) for u in jd_units(ts)] == expected


def test_jd_worked_example():
    """咚咚首次30秒应答率 = 首次咨询 30 秒内应答的会话 ÷ 会话（9:00–23:00 发起；10 分钟内再来算同一会话）
    (maijiaw.com/article/505791; insight.xiaoduoai.com/faq/questions/D1qA): sessions answered in 12 s,
    45 s and 30 s (inclusive), one continued within 10 minutes, one begun at 08:50 → 2 ÷ 3."""
    buyer_a = [(transcript("c 10:00:00 在吗", "a 10:00:12 您好", id="a1"), "小美"),
               (transcript("c 10:06:00 再问下", "a 10:09:00 好的", id="a2"), "小美")]
    buyer_b = [(transcript("c 11:00:00 在吗", "a 11:00:45 您好", id="b1"), "小美")]
    buyer_c = [(transcript("c 08:50:00 在吗", "a 08:50:05 您好", id="c0"), "小美"),
               (transcript("c 12:00:00 在吗", "a 12:00:30 您好", id="c1"), "小美")]
    units = [u for chats in (buyer_a, buyer_b, buyer_c) for u in jd_units(chats)]
    f = figures("小美", "jd", units)
    assert f.values["30秒应答率"] == pytest.approx(2 / 3) and f.counted["30秒应答率"] == ["b1"]
    assert f.values["平均响应(秒)"] == pytest.approx((12 + 45 + 30) / 3)


def test_month_units_join_jd_chats_of_the_same_buyer_only():
    a = transcript("c 10:00:00 在吗", "a 10:00:10 您好", id="a")
    b = transcript("c 10:05:00 在吗", "a 10:06:00 您好", id="b")
    b.customer = "另一位买家"
    units = month_units([(a, "小美"), (b, "小美")], lambda t: "jd")
    assert [u.transcript_id for _, u in units] == ["a", "b"]


# --- Pinduoduo: 3分钟人工回复率 per buyer -----------------------------------------------------------

PDD = [
    pytest.param(["c 10:00:00 在吗", "a 10:02:00 您好", "c 10:05:00 发货了吗", "a 10:06:00 发了"], True,
                 id="every message answered within 3 minutes"),
    pytest.param(["c 10:00:00 在吗", "a 10:00:10 您好", "c 10:05:00 发货了吗", "a 10:08:01 发了"], False,
                 id="one message waited 181 s: the buyer fails"),
    pytest.param(["c 10:00:00 在吗", "a 10:03:00 您好"], True, id="180 s is within"),
    pytest.param(["c 10:00:00 在吗", "auto 10:00:01 您好，欢迎", "a 10:04:00 在的"], False,
                 id="an auto-reply is no person's reply"),
    pytest.param(["c 10:00:00 在吗", "a 10:00:10 您好", "c 10:01:00 还在吗"], False, id="last message unanswered"),
]


@pytest.mark.parametrize("lines, ok", PDD)
def test_pdd_buyers(lines, ok):
    (u,) = pdd_units(transcript(*lines), "小美")
    assert (u.wait is not None and u.wait <= 180) is ok


def test_pdd_outside_hours_is_no_buyer():
    assert pdd_units(transcript("c 23:30:00 在吗", "a 23:40:00 在"), "小美") == []


def test_pdd_worked_example():
    """3分钟人工回复率 = (咨询人数 − 3分钟未人工回复累计) ÷ 咨询人数，都按买家数 (xiaofanwenku.com/word/147193):
    four buyers, one with a message left over 3 minutes → (4 − 1) ÷ 4 = 75%."""
    chats = [transcript("c 10:00:00 在吗", "a 10:00:30 在", id="a"),
             transcript("c 11:00:00 在吗", "a 11:01:00 在", "c 11:02:00 包邮吗", "a 11:06:00 包邮", id="b"),
             transcript("c 12:00:00 在吗", "a 12:02:59 在", id="c"),
             transcript("c 13:00:00 在吗", "a 13:00:05 在", id="d")]
    f = figures("小美", "pdd", [u for t in chats for u in pdd_units(t, "小美")])
    assert f.values["3分钟人工回复率"] == 0.75 and f.counted["3分钟人工回复率"] == ["b"]


# --- Douyin 飞鸽: 3分钟人工回复率, 首响, 平响, 人工不服务率 ----------------------------------------------

DOUYIN = [
    pytest.param(["c 10:00:00 在吗", "auto 10:00:01 欢迎光临", "a 10:00:30 您好"], (True, 30.0, (30.0,)),
                 id="the welcome message is no reply"),
    pytest.param(["c 10:00:00 在吗", "auto 10:00:01 欢迎光临"], (True, None, (None,)), id="only the welcome: 不服务"),
    pytest.param(["c 07:00:00 在吗", "a 07:00:30 您好"], (False, 30.0, (30.0,)), id="begun before 08:00: left out"),
    pytest.param(["c 10:00:00 在吗", "a 10:01:00 您好", "c 10:02:00 有货吗", "a 10:07:00 有"],
                 (True, 60.0, (60.0, 300.0)), id="rounds of 60 s and 300 s: mean 180 s"),
]


@pytest.mark.parametrize("lines, expected", DOUYIN)
def test_douyin_sessions(lines, expected):
    (u,) = douyin_units(transcript(*lines), "小美")
    assert (u.counted, u.wait, u.waits) == expected


def test_douyin_assist_robot_is_a_human_stage_reply():
    t = robot(transcript("c 10:00:00 在吗", "a 10:00:03 您好，机器人推荐回复"), 1, "assist")
    (u,) = douyin_units(t, "小美")
    assert u.wait == 3.0


def test_douyin_worked_example():
    """飞鸽 (yinets.com/5242; shuaishou.com/school/infos60146; xiaofanwenku.com/word/147193): four sessions —
    rounds 60 s + 300 s (mean 180 s: within), 20 s, one round 240 s, only the welcome message.
    3分钟人工回复率 = 2 ÷ 4; 首响 = (60 + 20 + 240) ÷ 3; 平响 = (60 + 300 + 20 + 240) ÷ 4; 人工不服务率 = 1 ÷ 4."""
    chats = [transcript("c 10:00:00 在吗", "a 10:01:00 您好", "c 10:02:00 有货吗", "a 10:07:00 有", id="a"),
             transcript("c 11:00:00 在吗", "a 11:00:20 您好", id="b"),
             transcript("c 12:00:00 在吗", "a 12:04:00 您好", id="c"),
             transcript("c 13:00:00 在吗", "auto 13:00:01 欢迎光临", id="d")]
    f = figures("小美", "douyin", [u for t in chats for u in douyin_units(t, "小美")])
    assert f.values["3分钟人工回复率"] == 0.5 and f.counted["3分钟人工回复率"] == ["c", "d"]
    assert f.values["首响(秒)"] == pytest.approx(320 / 3)
    assert f.values["平响(秒)"] == pytest.approx(155.0)
    assert f.values["人工不服务率"] == 0.25 and f.counted["人工不服务率"] == ["d"]


# --- the policy switch ----------------------------------------------------------------------------------

@pytest.mark.parametrize("text, shop, platform, mode", [
    ("", "小店", "taobao", "taobao"),
    ("", "小店", "other", None),
    ('[platform_kpi]\nmode = "off"', "小店", "jd", None),
    ('[platform_kpi]\nmode = "jd"', "小店", "taobao", "jd"),
    ('[platform_kpi]\nby_shop = { "小店" = "pdd" }', "小店", "taobao", "pdd"),
    ('[platform_kpi]\nby_shop = { "小店" = "off" }', "小店", "taobao", None),
    ('[platform_kpi]\nby_shop = { "别的店" = "off" }', "小店", "douyin", "douyin"),
])
def test_mode_per_shop(text, shop, platform, mode):
    assert parse_policy(text).platform_kpi.mode_of(shop, platform) == mode


def test_unknown_mode_is_refused():
    with pytest.raises(Exception, match="platform_kpi.mode"):
        parse_policy('[platform_kpi]\nmode = "tmall"')


def test_figures_and_drill_down_frames_are_chinese():
    units = month_units([(transcript("c 10:00:00 在吗", "a 10:00:20 您好"), "小美")], lambda t: "taobao")
    (f,) = agent_figures(units)
    assert f.values["3分钟响应率"] == 1
    table = figures_frame([f]).set_index("指标")
    assert table.loc["3分钟响应率(%)", "数值"] == 100.0 and table.loc["旺旺人工平响(秒)", "数值"] == 20.0
    assert table.loc["3分钟响应率(%)", "基数"] == 1 and table.loc["3分钟响应率(%)", "平台口径"] == "淘宝/天猫"
    frame = units_frame(units)
    assert list(frame.columns) == ["平台口径", "客服", "会话ID", "单位", "开始", "消息", "等待(秒)", "计入", "说明"]
    assert frame.iloc[0]["平台口径"] == "淘宝/天猫" and frame.iloc[0]["计入"] == "是"


def test_a_handed_over_chat_counts_each_round_once():
    """Parts of a chat handed over (transcript/transfers.py): the first part keeps what its agent
    answered; a question open at the hand-over and the later rounds are the next agent's."""
    from grader.transcript.transfers import served_parts

    t = transcript("c 10:00:00 在吗", "a 10:00:10 您好", "c 10:01:00 退货怎么办", "s 10:01:30 由小美转交给小王",
                   "a2 10:02:00 您好，我来处理", "c 10:03:00 好", "a2 10:03:20 已登记")
    t.messages[3].kind = "transfer"  # as the readers mark a transfer notice
    parts = served_parts(t)
    assert len(parts) == 2
    waits = {p.agent: [u.wait for u in taobao_units(p, p.agent)] for p in parts}
    assert waits == {"小店:小美": [10.0], "小店:小王": [60.0, 20.0]}
