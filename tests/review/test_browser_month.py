"""The self-assessment round trip in real headless Chromium: the agent enters it, the supervisor sees
the final grade (70 % supervisor's mean + 30 % self-assessment)."""
from datetime import datetime

import pytest

from grader.store import Store
from grader.transcript.model import SHANGHAI
from tests.builders import transcript

from .test_month_page import supervisor_mean
from .test_browser import browser, server, sign_in  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser


@pytest.fixture
def month_chats(db, grader):
    today = datetime.now(SHANGHAI).date().isoformat()
    t = transcript("c 10:00:00 这件有优惠吗", "a 10:00:05 您好，现在满200减30哦", "c 10:01:00 好的，拍了",
                   id="m1", day=today)
    Store(db).save([(t, grader.grade(t))])
    return today[:7]


def test_agent_enters_self_assessment_and_supervisor_sees_final_grade(browser, server, store, month_chats):
    month = month_chats
    agent = sign_in(browser, server, "xiaomei")
    agent.click("#nav-month")
    agent.wait_for_selector("#self-form")
    agent.check("#mode-items")
    for item_id, score in {"first_response": 8, "product_expertise": 18, "section": 25, "service_attitude": 18,
                           "polite_language": 20}.items():
        agent.fill(f"#score_{item_id}", str(score))
    agent.fill("#comment_section", "催单还不够主动")
    agent.fill("#comment", "下月提高响应速度")
    with agent.expect_navigation():
        agent.click("#self-submit")
    assert agent.text_content("#flash").startswith(f"{month} 的自评已提交")
    assert agent.text_content("#my-total").strip() == "89.0"
    assert agent.locator("#self-form").count() == 0  # once a month

    boss = sign_in(browser, server, "主管甲")
    boss.click("#nav-month")
    boss.wait_for_selector("#grades")
    row = boss.locator('#grades tr[data-agent="小店:小美"]')
    expected = round(0.7 * supervisor_mean(store, "小店:小美", month) + 0.3 * 89, 2)
    assert row.locator("td.final").text_content().strip() == f"{expected}"
    row.locator("td.self summary").click()
    assert "催单还不够主动" in row.locator("td.self").text_content()
    boss.wait_for_selector("#kpis a.drill", timeout=60_000)  # computed in the background; the page reloads itself
    with boss.expect_navigation():
        boss.locator("#kpis a.drill").first.click()
    boss.wait_for_selector("#drill")
    with boss.expect_navigation():
        boss.locator("#drill a").first.click()
    boss.wait_for_selector("#card")
