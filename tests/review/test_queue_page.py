"""The queue page: the count and pages, search and filters kept in the URL, why a card needs review,
bulk accept, the latest graded day when yesterday is empty, Chinese labels."""
import re

import pytest

from grader.review.app import create_app
from grader.review.views import why_review

from .conftest import DAY
from .test_app import client

ALL = {"since": "", "until": ""}


@pytest.fixture
def app(db, grader):
    return create_app(db, grader=grader)


def rows_of(html):
    return re.findall(r'data-transcript="([^"]+)"', html)


@pytest.mark.parametrize("labels, needs, confidence, expected", [
    pytest.param(["服务态度"], True, 0.9, "不确定的项目：服务态度", id="an-item"),
    pytest.param([], True, 0.4, "场景判断不确定（把握 40%）", id="unsure-scenario"),
    pytest.param(["安抚情绪", "服务态度"], True, 0.5, "不确定的项目：安抚情绪、服务态度；场景判断不确定（把握 50%）",
                 id="both"),
    pytest.param([], False, 0.95, "", id="nothing-to-review"),
])
def test_why_review(labels, needs, confidence, expected):
    assert why_review(labels, needs, confidence) == expected


def test_pages_and_count(app):
    c = client(app, "主管甲")
    html = c.get("/", params=ALL).text
    assert "共 <b>4</b> 张评分卡" in html and len(rows_of(html)) == 4
    first = c.get("/", params={**ALL, "size": "3"}).text
    second = c.get("/", params={**ALL, "size": "3", "page": "2"}).text
    beyond = c.get("/", params={**ALL, "size": "3", "page": "99"}).text
    assert len(rows_of(first)) == 3 and len(rows_of(second)) == 1
    assert set(rows_of(first)) | set(rows_of(second)) == {"t1", "t2", "t3", "t4"}
    assert 'id="next-page"' in first and "size=3&amp;page=2" in first and "第 2 / 2 页" in beyond


@pytest.mark.parametrize("params, expected", [
    pytest.param({"search": "快递"}, {"t2"}, id="words"),
    pytest.param({"search": "t3"}, {"t3"}, id="transcript-id"),
    pytest.param({"agent": "小店:小王"}, {"t4"}, id="agent"),
    pytest.param({"platform": "taobao"}, {"t1", "t2", "t3", "t4"}, id="platform"),
    pytest.param({"platform": "jd"}, set(), id="other-platform"),
])
def test_search_and_filters_stay_in_links(app, params, expected):
    c = client(app, "主管甲")
    html = c.get("/", params={**ALL, **params}).text
    assert set(rows_of(html)) == expected
    for value in params.values():
        assert value in html  # shown in the form, carried in the card links
    if expected:
        link = re.search(r'class="open-card" href="([^"]+)"', html).group(1)
        assert all(f"{k}%3D" in link for k in params)


def test_labels_are_chinese(app):
    html = client(app, "主管甲").get("/", params=ALL).text
    assert "淘宝" in html and "taobao</td>" not in html
    assert ">是</option>" in html and ">否</option>" in html


def test_latest_day_offered_when_yesterday_is_empty(app):
    html = client(app, "主管甲").get("/").text  # yesterday: nothing graded
    assert f'id="latest-day" href="/?since={DAY}&amp;until={DAY}"' in html


@pytest.mark.parametrize("who, offered", [
    pytest.param("主管甲", True, id="supervisor"),
    pytest.param("xiaomei", False, id="agent"),
])
def test_bulk_accept_is_offered_as_a_preview_of_the_filter(app, who, offered):
    html = client(app, who).get("/", params={**ALL, "shop": "小店"}).text
    form = re.search(r'<form class="bulk small" method="get" action="/bulk-accept" id="bulk-form">(.*?)</form>',
                     html, re.S)
    assert bool(form) == offered
    if offered:
        assert 'name="q" value="since=&amp;until=&amp;shop=%E5%B0%8F%E5%BA%97"' in form.group(1)


def test_bulk_accept_is_for_supervisors_only(app, store):
    c = client(app, "xiaomei")
    token = re.search(r'name="csrf" value="([^"]+)"', c.get("/", params=ALL).text).group(1)
    assert c.post("/bulk-accept", data={"csrf": token, "q": ""}).status_code == 403
