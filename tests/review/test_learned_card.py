"""A card graded with an adopted learned model: its version and explanation in the review app (real
headless Chromium), and the queue's active-review order."""
import random
import socket
import threading
import time

import pytest

from grader.learned import model_file
from grader.learned.model import Example, learn
from grader.pipeline import Grader
from grader.review.app import create_app
from grader.review.auth import add_user
from grader.review.views import QueueFilters, queue_rows
from grader.rubric import load_rubric
from grader.store import Store
from tests.builders import transcript
from tests.calibration import synth
from tests.calibration.test_learned import ITEM, SHOP_INITIATIVE, _chat

from .conftest import PASSWORD
from .test_browser import ARGS, chromium_path

DAY = "2026-11-22"


@pytest.fixture(scope="module")
def model_lexicons(tmp_path_factory):
    """A lexicon folder with a learned model adopted (v1) for 小店's service_attitude."""
    tmp = tmp_path_factory.mktemp("learned_card")
    lex = synth.copy_lexicons(tmp)
    rules = Grader(lexicons=lex)
    rnd = random.Random(3)
    examples = []
    for k in range(80):
        special = rnd.choice(SHOP_INITIATIVE) if k % 2 else None
        t = _chat(rnd, f"L{k}", "2026-10-01", special)
        card = rules.grade(t, "aftersale")
        examples.append(Example(t, card, 20 if special else card.item(ITEM).score, "小店"))
    bundle = learn({("小店", ITEM): examples}, min_labels=30)
    assert bundle.models
    model_file.adopt(model_file.save_candidate(bundle, tmp / "cand.joblib"), lex)
    return lex


@pytest.fixture
def model_db(tmp_path, model_lexicons):
    grader = Grader(lexicons=model_lexicons)
    store = Store(str(tmp_path / "m.db"))
    moved = transcript("c 10:00:00 水壶漏水了", "a 10:00:05 您好，麻烦发一下照片", "c 10:00:09 发了",
                       "a 10:00:12 安排师傅上门看看", id="moved", day=DAY)
    kept = transcript("c 11:00:00 水壶漏水了", "a 11:00:05 您好，麻烦发一下照片", "c 11:00:09 发了",
                      "a 11:00:12 好的亲，收到", id="kept", day=DAY)
    store.save([(t, grader.grade(t, "aftersale")) for t in (kept, moved)])
    add_user(store, "主管甲", PASSWORD, "supervisor")
    return str(tmp_path / "m.db"), grader


def test_queue_can_put_first_what_would_teach_the_model_most(model_db):
    db, grader = model_db
    store = Store(db)
    rows = queue_rows(store, load_rubric(), QueueFilters(since=DAY, until=DAY, order="teach"))
    assert [r.transcript_id for r in rows][0] == "moved"
    assert rows[0].disagreements == 1 and rows[1].disagreements == 0
    assert QueueFilters(order="teach").query().endswith("order=teach")
    plain = queue_rows(store, load_rubric(), QueueFilters(since=DAY, until=DAY))
    assert {r.transcript_id for r in plain} == {"moved", "kept"}


def test_a_card_graded_with_a_model_shows_its_version_and_explanation_in_chromium(model_db):
    path = chromium_path()
    if path is None:
        import os
        if os.environ.get("CI"):
            pytest.fail("Chromium not found, and browser tests must run in CI")
        pytest.skip("Chromium not found")
    import uvicorn
    from playwright.sync_api import sync_playwright

    db, grader = model_db
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    srv = uvicorn.Server(uvicorn.Config(create_app(db, grader=grader), log_level="warning", lifespan="off"))
    thread = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not srv.started:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    try:
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path=path, args=ARGS)
            page = b.new_page(locale="zh-CN")
            page.set_default_timeout(10_000)
            page.goto(base + "/")
            page.fill("#name", "主管甲")
            page.fill("#password", PASSWORD)
            page.click("#login-submit")
            page.wait_for_selector("text=复核队列")
            page.goto(base + f"/?since={DAY}&until={DAY}&order=teach")
            first = page.locator("tr[data-transcript]").first
            assert first.get_attribute("data-transcript") == "moved"
            assert page.locator('select[name="order"]').input_value() == "teach"
            first.locator("a.open-card").click()
            page.wait_for_selector("#card")
            assert "学习模型 v1" in page.inner_text("#learned-version")
            why = page.inner_text(f'[data-learned="{ITEM}"]')
            assert "规则 12 分 → 模型 20 分" in why and "影响最大的特征" in why and "无" not in why.split("：")[-1][:1]
            assert "模型 v1" in page.inner_text(f"#item-{ITEM} .why")
            b.close()
    finally:
        srv.should_exit = True
        thread.join(10)
        sock.close()
