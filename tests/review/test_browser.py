"""The review app in a real headless Chromium (Playwright) against uvicorn on a free local port.

Skipped only when no Chromium is found and $CI is not set; in CI a missing browser fails.
"""
import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

from grader.review.app import create_app
from grader.review.overrides import audit

from .conftest import PASSWORD, XSS, changeable

pytestmark = pytest.mark.browser
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync"]


def chromium_path() -> str | None:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found and Path("/usr/bin/chromium").exists():
        found = "/usr/bin/chromium"
    return found


@pytest.fixture(scope="module")
def browser():
    path = chromium_path()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium not found, and browser tests must run in CI")
        pytest.skip("Chromium not found (set CI=1 to make this a failure)")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def server(db, grader):
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(create_app(db, grader=grader), log_level="warning", lifespan="off"))
    thread = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not srv.started:
        assert time.monotonic() < deadline, "review server did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(10)
    sock.close()


def sign_in(browser, base, name):
    ctx = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
    page = ctx.new_page()
    page.set_default_timeout(10_000)
    page.goto(base + "/")
    assert "/login" in page.url
    page.fill("#name", name)
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_selector("text=复核队列")
    return page


def open_card(page, base, tid):
    page.goto(base + "/?since=2026-11-22&until=2026-11-22")
    page.click(f'tr[data-transcript="{tid}"] a.open-card')
    page.wait_for_selector("#card")


def item_with_evidence(store, tid="t1"):
    """Prefer an item whose evidence is a span inside a message (not the whole message)."""
    card = store.current_scorecards([tid])[tid]
    texts = [m.text for m in store_transcript(store, tid).messages]
    with_quotes = [i for i in card.items if any(e.quote for e in i.evidence)]
    if not with_quotes:
        pytest.fail("no item with evidence on the test chat's scorecard")
    partial = [i for i in with_quotes if any(e.quote and e.quote != texts[e.message_index] for e in i.evidence)]
    return (partial or with_quotes)[0]


def store_transcript(store, tid):
    return store.transcripts([tid])[tid]


def override(page, item_id, level, reason):
    box = page.locator(f'div.item[data-item="{item_id}"]')
    box.locator("details.edit summary").click()
    box.locator("select[name=score]").select_option(str(level))
    box.locator("input[name=reason]").fill(reason)
    with page.expect_navigation() as nav:
        box.locator("form.override button[type=submit]").click()
    return nav.value


def test_supervisor_reviews_a_scorecard(browser, server, store):
    page = sign_in(browser, server, "主管甲")
    page.goto(server + "/?since=2026-11-22&until=2026-11-22")
    assert page.locator("#queue tbody tr").count() == 4
    page.click('tr[data-transcript="t1"] a.open-card')
    page.wait_for_selector("#card")
    assert page.locator(".msg").count() == 5 and page.locator(".tag.auto").first.is_visible()

    item = item_with_evidence(store)
    page.click(f'button.item-head[data-item="{item.id}"]')
    lit = page.locator(".ev.hl")
    assert lit.count() >= 1
    quotes = [e.quote for e in item.evidence]
    for i in range(lit.count()):
        el = lit.nth(i)
        assert "hl" in el.get_attribute("class").split()
        assert any(el.text_content() in q for q in quotes)
        assert el.is_visible()
    assert page.locator(".msg.hl-msg").count() >= 1
    assert "selected" in page.locator(f'div.item[data-item="{item.id}"]').get_attribute("class")
    if os.environ.get("REVIEW_SCREENSHOT"):
        page.screenshot(path=os.environ["REVIEW_SCREENSHOT"], full_page=False)

    target, level = changeable(store)
    before = int(page.text_content("#final-total"))
    override(page, target.id, level, "浏览器里改分")
    assert page.text_content("#flash").startswith("已保存")
    assert int(page.text_content("#final-total")) == before - target.score + level
    assert page.locator("#audit tbody tr").first.text_content().count("浏览器里改分") == 1
    assert audit(store, "t1")[-1]["by"] == "主管甲"

    page.click("#mark-reviewed")
    page.wait_for_selector("#flash")
    assert "下一张" in page.text_content("#flash") and "id=t1" not in page.url
    page.context.close()


def test_agent_dispute_resolved_by_supervisor(browser, server, store):
    item, level = changeable(store)
    agent = sign_in(browser, server, "xiaomei")
    agent.goto(server + "/?since=&until=")
    assert agent.locator('tr[data-transcript="t4"]').count() == 0  # not theirs
    agent.click('tr[data-transcript="t1"] a.open-card')
    assert agent.locator("form.override").count() == 0  # agents get no override forms
    box = agent.locator(f'div.item[data-item="{item.id}"]')
    box.locator("details.edit summary").click()
    box.locator("select[name=requested]").select_option(str(level))
    box.locator("input[name=comment]").fill("我做到了，请复核")
    with agent.expect_navigation():
        box.locator("form.dispute-form button").click()
    assert "申诉已提交" in agent.text_content("#flash")

    boss = sign_in(browser, server, "主管甲")
    boss.goto(server + "/?since=&until=&disputed=yes")
    assert boss.locator("#queue tbody tr").count() == 1
    boss.click('tr[data-transcript="t1"] a.open-card')
    dispute = boss.locator("div.dispute").first
    assert "我做到了，请复核" in dispute.text_content()
    with boss.expect_navigation():
        dispute.locator('button[value="accept"]').click()
    assert "已接受" in boss.text_content("#flash")
    assert f'<span class="final">{level}</span>' in boss.locator(f'div.item[data-item="{item.id}"]').inner_html()
    assert "申诉" in boss.locator("#audit tbody tr").first.text_content()

    agent.reload()
    assert "已接受" in agent.locator("div.dispute").first.text_content()
    agent.context.close()
    boss.context.close()


def test_second_concurrent_save_is_refused(browser, server, store):
    item, level = changeable(store)
    other = next(v for v in item.levels if v != level)
    a, b = sign_in(browser, server, "主管甲"), sign_in(browser, server, "boss2")
    open_card(a, server, "t1")
    open_card(b, server, "t1")
    override(a, item.id, level, "甲先改")
    assert "已保存" in a.text_content("#flash")
    response = override(b, item.id, other, "乙后改")
    assert response.status == 409
    assert "另一位主管" in b.text_content("#error")
    assert f'<span class="final">{level}</span>' in b.locator(f'div.item[data-item="{item.id}"]').inner_html()
    assert "甲先改" in b.text_content("#audit")
    assert [r["reason"] for r in audit(store, "t1")] == ["甲先改"]
    a.context.close()
    b.context.close()


def test_script_in_chat_is_shown_as_text(browser, server):
    page = sign_in(browser, server, "主管甲")
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    open_card(page, server, "t3")
    first = page.locator("#m0 .text")
    assert XSS in first.text_content() and first.is_visible()
    assert page.get_by_text(XSS, exact=False).first.is_visible()
    assert "<b>粗体</b> &amp; 谢谢" not in page.locator("#m2 .text").inner_html()
    assert page.locator("#m2 .text b").count() == 0 and page.locator("#chat img").count() == 0
    page.wait_for_timeout(300)
    assert dialogs == []
    page.context.close()


def test_logout_ends_the_session_even_for_a_kept_cookie(browser, server, store):
    page = sign_in(browser, server, "主管甲")
    kept = page.context.cookies()
    page.click("button:has-text('退出')")
    page.wait_for_url("**/login**")
    other = browser.new_context()
    other.add_cookies(kept)  # the cookie from before logout, replayed
    replay = other.new_page()
    replay.goto(server + "/")
    assert "/login" in replay.url
    assert store.access_entries() == [] and any(e["action"] == "logout" for e in store.audit_entries())
    page.context.close()
    other.close()


def test_lockout_is_shown_in_chinese(browser, server):
    from grader.review.auth import MAX_FAILURES_PER_ACCOUNT

    ctx = browser.new_context(locale="zh-CN")
    page = ctx.new_page()
    for _ in range(MAX_FAILURES_PER_ACCOUNT + 1):
        page.goto(server + "/login")
        page.fill("#name", "主管甲")
        page.fill("#password", "wrong-password")
        page.click("#login-submit")
    page.fill("#name", "主管甲")
    page.fill("#password", PASSWORD)  # the right one, during the lockout
    page.click("#login-submit")
    assert "登录失败次数过多" in page.content() and "/login" in page.url
    ctx.close()
