"""The review budget: must-read cards first (red lines, complaints, refunds, flagged), then a seeded
random sample, then the rest; the month's reviewed count and the sample's measured agreement."""
import pytest

from grader.pipeline import Grader
from grader.store import Store
from grader.store.queue import (DEFAULT_SAMPLE_RATE, QueueQuery, budget_rank, budget_reasons, in_sample)
from tests.builders import transcript

COMPLAINT = ("c 10:00:00 我的快递三天没动了，再不处理我就投诉", "a 10:00:05 您好，非常抱歉，我马上帮您联系快递")
REFUND = ("c 10:00:00 衣服太小了，我要退货", "a 10:00:05 您好，可以的，您在订单里申请退货就行")
PLAIN = ("c 10:00:00 这款有货吗？", "a 10:00:05 您好，有货的")
AUTO_ONLY = ("c 10:00:00 这款有货吗？", "auto 10:00:01 您好，欢迎光临")  # nothing to measure the agent by: flagged


def settled(card):
    """The card as if the tool were sure of everything (nothing flagged)."""
    return card.model_copy(update={"needs_review": False, "items": [
        i.model_copy(update={"needs_review": False}) for i in card.items]})


@pytest.fixture(scope="module")
def grader():
    return Grader()


@pytest.mark.parametrize("case, lines, reasons", [
    ("a complaint threat", COMPLAINT, ["complaint"]),
    ("a refund request", REFUND, ["refund"]),
    ("a plain question", PLAIN, []),
    ("no complaint when the buyer says they will not complain",
     ("c 10:00:00 没事，不会给差评的", "a 10:00:05 谢谢您"), []),
    ("a pre-sale policy question is no refund request", ("c 10:00:00 支持七天无理由退货吗", "a 10:00:05 您好，支持的"), []),
])
def test_budget_reasons_from_the_buyers_words(grader, case, lines, reasons):
    assert budget_reasons(settled(grader.grade(transcript(*lines)))) == reasons, case


def test_a_flagged_card_must_be_read(grader):
    card = grader.grade(transcript(*AUTO_ONLY))
    assert card.needs_review and budget_reasons(card) == ["flagged"]


def test_a_red_line_hit_comes_first_when_the_card_has_one(grader):
    """Issue 26 puts `red_line_ids` on the card; the budget reads it whenever it is there."""
    card = settled(grader.grade(transcript(*COMPLAINT)))
    hit = type("Card", (), {"red_line_ids": ["redline.abuse"], "metrics": card.metrics, "needs_review": False})()
    assert budget_reasons(hit)[0] == "red_line"


@pytest.mark.parametrize("budget, sampled, rank", [
    (" red_line complaint flagged ", False, 0), (" complaint ", True, 1), (" refund flagged ", False, 2),
    (" flagged ", False, 3), ("", True, 4), ("", False, 5)])
def test_budget_rank(budget, sampled, rank):
    assert budget_rank(budget, sampled) == rank


def test_the_sample_is_seeded_and_near_its_rate():
    ids = [f"chat-{k}" for k in range(4000)]
    picked = [i for i in ids if in_sample(i, DEFAULT_SAMPLE_RATE, "grader")]
    assert 0.085 < len(picked) / len(ids) < 0.115
    assert picked == [i for i in ids if in_sample(i, DEFAULT_SAMPLE_RATE, "grader")]
    assert picked != [i for i in ids if in_sample(i, DEFAULT_SAMPLE_RATE, "other seed")]
    assert set(picked) <= {i for i in ids if in_sample(i, 0.2, "grader")}  # a larger rate keeps these


@pytest.fixture
def store(tmp_path, grader):
    s = Store(str(tmp_path / "b.db"))
    pairs = []
    for tid, lines, sure in [("complaint", COMPLAINT, True), ("refund", REFUND, True), ("flagged", AUTO_ONLY, False)] + [
            (f"plain{k}", PLAIN, True) for k in range(30)]:
        t = transcript(*lines, id=tid)
        card = grader.grade(t)
        pairs.append((t, settled(card) if sure else card))
    s.save(pairs)
    return s


def order(store) -> list[str]:
    return [r["transcript_id"] for r in store.queue_page(QueueQuery(), 0, 200)]


def test_the_queue_puts_the_budget_first_then_the_sample(store):
    ids = order(store)
    assert ids[:3] == ["complaint", "refund", "flagged"]
    sampled = [i for i in ids[3:] if in_sample(i, DEFAULT_SAMPLE_RATE, "grader")]
    assert ids[3:3 + len(sampled)] == sampled  # the sample before the rest


def test_changing_the_sample_redraws_it_for_every_card(store):
    assert store.set_review_sample(1.0) == 33
    rows = store.queue_page(QueueQuery(), 0, 200)
    assert all(r["sampled"] for r in rows) and [r["transcript_id"] for r in rows][:3] == ["complaint", "refund", "flagged"]
    store.set_review_sample(0.0, "s2")
    assert Store(store.url).review_sample() == (0.0, "s2")  # a setting of the database
    assert not any(r["sampled"] for r in store.queue_page(QueueQuery(), 0, 200))
    with pytest.raises(ValueError):
        store.set_review_sample(1.5)


def test_month_figures_count_reviews_and_the_samples_agreement(store):
    from grader.review.overrides import apply_override, mark_reviewed

    store.set_review_sample(1.0)  # every card in the sample
    mark_reviewed(store, "plain0", "主管甲", None, reviewed=True)
    card = store.current_scorecards(["plain1"])["plain1"]
    item = card.item("service_attitude")
    other = next(v for v in item.levels if v != item.score)
    apply_override(store, "plain1", "service_attitude", other, "不对", "主管甲")
    mark_reviewed(store, "plain1", "主管甲", None, reviewed=True)
    f = store.review_figures(None, None)
    assert (f["cards"], f["reviewed"], f["bulk"], f["sampled"], f["sampled_reviewed"]) == (33, 2, 0, 33, 2)
    assert f["labels"] == len(card.items) * 2 and f["labels_agree"] == f["labels"] - 1
    # a card bulk-accepted before the sample grew is reviewed, but nobody read it: no sample label
    mark_reviewed(store, "plain2", "主管甲", None, reviewed=True, bulk=True)
    g = store.review_figures(None, None)
    assert (g["reviewed"], g["bulk"], g["sampled_reviewed"]) == (3, 1, 2)
    assert (g["labels"], g["labels_agree"]) == (f["labels"], f["labels_agree"])
