"""A reviewer calibration session in a real headless Chromium: two supervisors score the same sample
blind, then see agreement per item with each other and with the tool."""
import pytest

from .test_browser import browser, server, sign_in  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser


def score_all(page, pick):
    """Score every chat of the session: `pick(levels)` chooses the level of each item."""
    while page.locator("#blind-form").count():
        assert "建议" not in page.inner_text("#blind-card")  # blind: no tool score shown
        for box in page.locator("#blind-form div.item").all():
            options = [o for o in box.locator("option").evaluate_all("os => os.map(o => o.value)") if o]
            box.locator("select").select_option(pick(options))
        with page.expect_navigation():
            page.click("#save-blind")


def test_calibration_session(browser, server, store):  # noqa: F811
    a = sign_in(browser, server, "主管甲")
    a.goto(server + "/calibration/sessions")
    a.fill("#session-name", "11月第4周")
    a.fill("input[name=since]", "2026-11-22")
    a.fill("input[name=until]", "2026-11-22")
    a.fill("input[name=size]", "2")
    a.check("input[name=raters][value=boss2]")
    with a.expect_navigation():
        a.click("#create-session")
    session_url = a.url
    with a.expect_navigation():
        a.click("#start-scoring")
    score_all(a, lambda levels: levels[0])  # 甲 gives the top level everywhere
    assert a.locator("#agreement").count() == 1  # done: 甲 sees results (only his own so far)

    b = sign_in(browser, server, "boss2")
    b.goto(session_url)
    assert b.locator("#blind").count() == 1 and b.locator("#agreement").count() == 0  # blind until done
    with b.expect_navigation():
        b.click("#start-scoring")
    score_all(b, lambda levels: levels[-1])  # boss2 gives the bottom level everywhere
    text = b.inner_text("#agreement")
    assert "%" in text and "系统" in b.inner_text("#overall")
    rows = b.locator("#agreement tbody tr").all()
    assert rows
    # items with more than one level: the two raters never agree
    split = [r for r in rows if "主管甲" in r.inner_text() and "boss2" in r.inner_text()]
    assert split and all(r.locator("td").nth(2).inner_text() == "0%" for r in split)
