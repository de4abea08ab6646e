"""Proposals from the way supervisors really work: a few overrides, no finished reviews, the rest of
the period's graded chats as background; and proposals for every lexicon that decides an item."""
import random

import pytest
from sqlalchemy import select

from grader.calibration import Options, calibrate, item_lexicons, load_period
from grader.calibration.proposals import Proposal, modify_lexicon_text
from grader.detectors.lexicon import LexiconSet, parse_lexicon
from grader.pipeline import Grader
from grader.store import Store, now_iso, overrides, scorecards
from tests.builders import transcript
from tests.calibration import synth

# The case was 15 overrides awarding presale.promotion to chats saying 拼团价. Since the
# accuracy issue, 拼团价 is in lexicons/promotion.txt, so the same case is built with another plain
# shop term the lexicon lacks: 聚划算价 (Taobao's group-buy channel price).
SHOP_TERM = "聚划算价"
TERM_LINES = ["现在{t}只要{n}元", "这款{t}是{n}，比平时便宜", "亲，{t}{n}元哦，今天截止"]
FILLER = ["您好，在的", "这款是纯棉面料，穿着很舒服", "今天下单明天就能发出", "尺码偏大一点，建议拍小一码",
          "颜色是实物拍摄的，色差很小", "有问题随时找我哦", "这款卖得很好，回头客很多", "洗的时候建议反面冷水洗",
          "库存还有的", "您看一下详情页的尺码表"]
CUSTOMER = ["在吗", "这款还有货吗", "请问这个怎么卖", "能便宜点吗", "质量怎么样", "几天能到"]


def _chat(rnd, tid, day, special: str | None):
    agent = rnd.sample(FILLER, 3)
    if special:
        agent.insert(1, special)
    lines = [f"c 10:00:00 {rnd.choice(CUSTOMER)}"]
    for k, text in enumerate(agent):
        lines.append(f"a 10:00:{5 + 4 * k:02d} {text}")
    return transcript(*lines, id=tid, day=day)


def _override(store, tid, item, to, by="主管A"):
    card = store.current_scorecards([tid])[tid]
    with store.engine.begin() as conn:
        sid = conn.execute(select(scorecards.c.id).where(scorecards.c.transcript_id == tid,
                                                         scorecards.c.current.is_(True))).scalar_one()
        conn.execute(overrides.insert().values(
            transcript_id=tid, scorecard_id=sid, item_id=item, from_value=str(card.item(item).score),
            to_value=str(to), reason="漏判", by=by, at=now_iso(), source="web"))


@pytest.fixture(scope="module")
def override_only(tmp_path_factory):
    """15 chats saying 聚划算价, each with one override awarding presale.promotion (no card marked
    reviewed), and 45 other graded chats of the month nobody looked at."""
    tmp = tmp_path_factory.mktemp("override_only")
    lex = synth.copy_lexicons(tmp)
    store = Store(str(tmp / "g.db"))
    rnd = random.Random(5)
    grader = Grader(lexicons=lex)
    chats = []
    for n in range(60):
        special = rnd.choice(TERM_LINES).format(t=SHOP_TERM, n=rnd.randint(59, 199)) if n < 15 else None
        chats.append(_chat(rnd, f"j{n:03d}", f"2026-10-{1 + n % 28:02d}", special))
    store.save([(t, grader.grade(t, "presale")) for t in chats])
    for t in chats[:15]:
        _override(store, t.id, synth.ITEM, 5)
    return dict(store=store, lex=lex, report=calibrate(store, "2026-10-01", "2026-10-31", lex, period="2026-10"))


def test_override_only_labels_and_background(override_only):
    labeled, background = load_period(override_only["store"], "2026-10-01", "2026-10-31")
    assert len(labeled) == 15 and not any(c.reviewed for c in labeled)
    assert all(c.final == {synth.ITEM: 5} for c in labeled)
    assert len(background) == 45 and not {c.id for c in labeled} & {b.id for b in background}
    # before: the lexicon misses every one of them
    item = next(i for i in override_only["report"].agreement.items if i.item == synth.ITEM)
    assert item.n == 15 and item.agreement == 0.0


def test_a_plain_shop_term_is_proposed_from_override_only_labels(override_only):
    report = override_only["report"]
    props = [p for p in report.proposals if p.item == synth.ITEM and p.kind == "add"]
    assert len(props) == 1, [p.id for p in report.proposals]
    (p,) = props
    assert p.term in ("聚划算", "聚划算价") and p.lexicon == "promotion" and p.id == f"promotion+{p.term}"
    assert p.support == 15 and p.against == 0 and p.background == 0 and p.background_chats == 45
    assert p.p_value < 1e-6 and all(SHOP_TERM in q.text for q in p.examples)
    assert report.background_chats == 45
    # evaluated before adoption: held-out overridden chats re-graded with the term
    ev = p.evaluation
    assert ev["folds_chosen"] == 5 and ev["before_agreement"] == 0.0 and ev["after_agreement"] == 1.0
    assert ev["fixed"] == 15 and ev["broken"] == 0


def test_a_term_common_in_the_background_is_not_proposed(tmp_path):
    """Negative: the corrected chats share 库存还有的 too, but so do many unreviewed chats: not proposed."""
    lex = synth.copy_lexicons(tmp_path)
    store = Store(str(tmp_path / "g.db"))
    rnd = random.Random(9)
    grader = Grader(lexicons=lex)
    chats = []
    for n in range(40):
        special = "库存还有的，喜欢可以看看" if n < 6 or n % 2 else None
        chats.append(_chat(rnd, f"k{n:03d}", f"2026-10-{1 + n % 28:02d}", special))
    store.save([(t, grader.grade(t, "presale")) for t in chats])
    for t in chats[:6]:
        _override(store, t.id, synth.ITEM, 5)
    report = calibrate(store, "2026-10-01", "2026-10-31", lex)
    assert not [p for p in report.proposals if p.kind == "add" and p.item == synth.ITEM]


def test_too_few_overrides_give_no_proposal(tmp_path):
    lex = synth.copy_lexicons(tmp_path)
    store = Store(str(tmp_path / "g.db"))
    rnd = random.Random(1)
    grader = Grader(lexicons=lex)
    chats = [_chat(rnd, f"f{n:03d}", "2026-10-03", f"现在{SHOP_TERM}只要99元" if n < 2 else None) for n in range(20)]
    store.save([(t, grader.grade(t, "presale")) for t in chats])
    for t in chats[:2]:
        _override(store, t.id, synth.ITEM, 5)
    assert calibrate(store, "2026-10-01", "2026-10-31", lex).proposals == []


def test_every_lexicon_that_decides_an_item_is_reachable():
    items = item_lexicons()
    assert items["presale.promotion"] == ("promotion",)
    assert {"expertise", "customer_data"} <= set(items["product_expertise"])
    assert {"deflection", "proactive"} <= set(items["service_attitude"])
    assert "clarify" in items["aftersale.clarify_issue"] and "not_clarify" in items["aftersale.clarify_issue"]
    assert "resolution" in items["aftersale.same_day_resolution"]


# --- level items: a cue list of service_attitude (deflection), and an unless_after exclusion -------------

ATTITUDE = "service_attitude"


def _aftersale(rnd, tid, day, agent_lines):
    lines = ["c 10:00:00 快递三天没动了，怎么回事"]
    for k, text in enumerate(agent_lines):
        lines.append(f"a 10:00:{5 + 4 * k:02d} {text}")
        if k == 0:
            lines.append(f"c 10:00:{7 + 4 * k:02d} 那怎么办")
    return transcript(*lines, id=tid, day=day)


@pytest.fixture(scope="module")
def attitude(tmp_path_factory):
    """Supervisors mark 这个您得咨询平台客服 (a deflection the lexicon lacks) down to 0 on 8 chats; the
    other chats of the month are ordinary cooperative replies, a few with deflections it knows."""
    tmp = tmp_path_factory.mktemp("attitude")
    lex = synth.copy_lexicons(tmp)
    store = Store(str(tmp / "g.db"))
    rnd = random.Random(11)
    grader = Grader(lexicons=lex)
    ordinary = ["您好，麻烦提供一下订单号", "我这边帮您催一下快递", "好的，已经帮您登记了", "您放心，我们会跟进的",
                "我帮您联系快递核实一下"]
    chats = []
    for n in range(40):
        agent = rnd.sample(ordinary, 2)
        if n < 8:
            agent = [agent[0], "这个您得咨询平台客服"]
        elif n % 10 == 9:
            agent = [agent[0], "你自己找快递问问吧"]
        chats.append(_aftersale(rnd, f"s{n:03d}", f"2026-10-{1 + n % 28:02d}", agent))
    store.save([(t, grader.grade(t, "aftersale")) for t in chats])
    for t in chats[:8]:
        _override(store, t.id, ATTITUDE, 0)
    return dict(store=store, lex=lex, chats=chats,
                report=calibrate(store, "2026-10-01", "2026-10-31", lex, period="2026-10"))


def test_a_level_item_gets_a_term_for_its_negative_cue_list(attitude):
    cards = attitude["store"].current_scorecards([t.id for t in attitude["chats"][:8]])
    assert all(c.item(ATTITUDE).score > 0 for c in cards.values())  # the rules miss the deflection
    adds = [p for p in attitude["report"].proposals if p.item == ATTITUDE and p.kind == "add"]
    assert adds, [p.id for p in attitude["report"].proposals]
    p = adds[0]
    assert p.lexicon == "deflection" and p.direction == -1 and p.support == 8
    assert "咨询平台" in p.term, p.term
    assert p.evaluation["after_agreement"] > p.evaluation["before_agreement"]


def test_unless_after_proposal_applies_as_an_exclusion():
    text = "# name: x\n# version: 1\n# role: agent\n找快递 ; unless_after=就行\n包邮\n"
    props = [Proposal("x-找快递>吗", "exclude", "x", "i", "找快递", exclusion="吗", where="after"),
             Proposal("x-包邮>不了", "exclude", "x", "i", "包邮", exclusion="不了", where="after"),
             Proposal("x+问平台", "add", "x", "i", "问平台", tag="deflect")]
    new = modify_lexicon_text(text, props)
    lex = parse_lexicon(new)
    assert "找快递 ; unless_after=就行,吗" in new and "包邮 ; unless_after=不了" in new
    assert "问平台 ; tag=deflect" in new
    assert lex.find("我帮您找快递吗")[0].excluded_by == "吗"
    assert lex.find("包邮不了")[0].excluded_by == "不了" and lex.find("这款包邮")[0].excluded_by is None
