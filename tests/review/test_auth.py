"""Sign-in security: secret outside the database, server-side sessions, throttling, weak passwords."""
import json
import os
import stat
import warnings
from base64 import b64encode
from datetime import timedelta

import pytest
from itsdangerous import TimestampSigner
from sqlalchemy import select, update

from grader.review.app import create_app
from grader.review.auth import (MAX_FAILURES_PER_ACCOUNT, MAX_FAILURES_PER_ADDRESS, AccountError, add_user,
                                check_password_strength, rotate_secret, secret_path, session_secret)
from grader.store import Store, meta
from grader.store.audit import sessions

from .conftest import PASSWORD, csrf_of

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


@pytest.fixture
def app(db, grader, monkeypatch):
    monkeypatch.delenv("GRADER_SECRET", raising=False)
    monkeypatch.delenv("GRADER_SECRET_FILE", raising=False)
    return create_app(db, grader=grader)


def sign_in(app, name="主管甲", password=PASSWORD, client=("testclient", 50000)):
    c = TestClient(app, follow_redirects=False, client=client)
    r = c.post("/login", data={"name": name, "password": password, "csrf": csrf_of(c.get("/login").text), "next": "/"})
    return c, r


def cookie(secret: str, data: dict) -> str:
    """A session cookie the way Starlette's SessionMiddleware makes one."""
    return TimestampSigner(secret).sign(b64encode(json.dumps(data).encode())).decode()


def signed_in(c) -> bool:
    return c.get("/").status_code == 200


def test_the_secret_is_not_in_the_database_and_its_file_is_private(app, store, db, tmp_path):
    path = secret_path(store)
    if "://" in db:  # a server database: the user's config folder (here under tmp_path)
        assert path == tmp_path / "config" / "grader" / "secret"
    else:
        assert path == type(path)(db + ".secret")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    secret = session_secret(store)
    with store.reading() as u:
        assert secret not in (u.meta_value("review_session_secret") or "")
    if "://" not in db:
        raw = open(db, "rb").read() + b"".join(open(p, "rb").read() for p in (db + "-wal",) if os.path.exists(p))
        assert secret.encode() not in raw
    os.chmod(path, 0o644)
    with pytest.raises(AccountError, match="chmod 600"):
        session_secret(store)


def test_an_old_secret_kept_in_the_database_is_dropped(db):
    store = Store(db)
    with store.engine.begin() as conn:
        conn.execute(meta.insert().values(key="review_session_secret", value="x" * 64))
    store = Store(db)  # migrating again
    with store.engine.connect() as conn:
        assert conn.execute(select(meta.c.value).where(meta.c.key == "review_session_secret")).first() is None


def test_a_cookie_forged_from_the_database_alone_is_refused(app, store):
    real, r = sign_in(app)
    assert r.status_code == 303 and signed_in(real)
    with store.engine.connect() as conn:  # everything a read-only copy of the database gives
        values = [v for (v,) in conn.execute(select(meta.c.value))]
        id_hashes = [h for (h,) in conn.execute(select(sessions.c.id_hash))]
    for secret in values + ["review_session_secret"]:
        for data in ({"user": "主管甲"}, {"sid": id_hashes[0], "user": "主管甲"}):
            c = TestClient(app, follow_redirects=False, cookies={"grader_review": cookie(secret, data)})
            assert not signed_in(c)
    # even with the real secret, the database's session hashes are not session ids
    c = TestClient(app, follow_redirects=False,
                   cookies={"grader_review": cookie(session_secret(store), {"sid": id_hashes[0]})})
    assert not signed_in(c)


def test_logout_ends_the_session_on_the_server(app):
    c, _ = sign_in(app)
    old = c.cookies.get("grader_review")
    token = csrf_of(c.get("/").text)
    assert c.post("/logout", data={"csrf": token}).status_code == 303
    replay = TestClient(app, follow_redirects=False, cookies={"grader_review": old})
    assert not signed_in(replay)


@pytest.mark.parametrize("column, age", [
    pytest.param("expires_at", timedelta(seconds=1), id="past-its-expiry"),
    pytest.param("last_seen", timedelta(hours=3), id="idle-too-long"),
])
def test_sessions_expire(app, store, column, age):
    from datetime import datetime, timezone
    c, _ = sign_in(app)
    assert signed_in(c)
    moment = (datetime.now(timezone.utc) - age).isoformat(timespec="seconds")
    with store.engine.begin() as conn:
        conn.execute(update(sessions).values({column: moment}))
    assert not signed_in(c)


def test_rotating_the_secret_ends_every_session(app, store):
    c, _ = sign_in(app)
    before = session_secret(store)
    path, ended = rotate_secret(store, "主管甲")
    assert ended == 1 and session_secret(store) != before and stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert not signed_in(c)
    assert store.audit_entries(limit=1)[0]["action"] == "secret_rotate"


def test_failures_from_one_address_make_that_address_wait_even_with_the_right_password(app, store):
    for _ in range(MAX_FAILURES_PER_ACCOUNT):
        _, r = sign_in(app, password="wrong-password")
        assert r.status_code in (401, 429)
    c, r = sign_in(app)  # right password, from the guessing address: it waits
    assert r.status_code == 429 and "秒后再试" in r.text and not signed_in(c)
    _, r = sign_in(app, name="boss2")  # another account from the same address still signs in
    assert r.status_code == 303
    actions = [e["action"] for e in store.audit_entries()]
    failed = [e for e in store.audit_entries() if e["action"] == "login_failed"]
    assert len(failed) == MAX_FAILURES_PER_ACCOUNT and failed[0]["detail"]["name"] == "主管甲"
    assert "login_throttled" in actions  # the refused attempt is audited, not counted as a failure


def test_the_owner_signs_in_from_another_address_while_the_account_is_guessed(app, store):
    """Anyone may fail on any account: that never locks its owner out (a hard lock would be a denial of service)."""
    for n in range(MAX_FAILURES_PER_ACCOUNT + 3):
        _, r = sign_in(app, password="wrong-password", client=("203.0.113.9", 5000))
    assert r.status_code == 429
    owner, r = sign_in(app, client=("198.51.100.7", 5000))
    assert r.status_code == 303 and signed_in(owner)


@pytest.mark.parametrize("failures, limit, waits", [
    pytest.param(4, 5, False, id="below-the-limit-no-wait"),
    pytest.param(5, 5, True, id="at-the-limit-waits"),
    pytest.param(30, 5, True, id="long-after-the-limit-capped"),
])
def test_the_wait_doubles_and_is_capped(failures, limit, waits):
    from datetime import datetime, timezone

    from grader.review.auth import FIRST_WAIT_SECONDS, MAX_WAIT_SECONDS, _wait_after

    now = datetime.now(timezone.utc).isoformat()
    wait = _wait_after(failures, now, limit)
    assert (wait > 0) is waits
    if waits:
        assert FIRST_WAIT_SECONDS <= wait <= MAX_WAIT_SECONDS + 1
        assert wait <= min(MAX_WAIT_SECONDS, FIRST_WAIT_SECONDS * 2 ** (failures - limit)) + 1


def test_an_account_guessed_from_many_addresses_is_slowed_not_locked(app, store, monkeypatch):
    from grader.review import auth

    monkeypatch.setattr(auth, "SLOW_ACCOUNT_DELAY_SECONDS", 0.2)
    for n in range(auth.SLOW_ACCOUNT_FAILURES):
        sign_in(app, password="wrong-password", client=(f"203.0.113.{n}", 5000))
    assert auth.throttle(store, "主管甲", "198.51.100.7").delay == 0.2
    import time
    began = time.perf_counter()
    owner, r = sign_in(app, client=("198.51.100.7", 5000))
    assert r.status_code == 303 and time.perf_counter() - began >= 0.2


def test_throttling_per_address(app):
    for n in range(MAX_FAILURES_PER_ADDRESS):
        sign_in(app, name=f"guess{n}", password="wrong-password")
    _, r = sign_in(app, name="boss2")
    assert r.status_code == 429


def test_a_successful_sign_in_forgets_earlier_failures(app):
    for _ in range(MAX_FAILURES_PER_ACCOUNT - 1):
        sign_in(app, password="wrong-password")
    assert sign_in(app)[1].status_code == 303
    for _ in range(MAX_FAILURES_PER_ACCOUNT - 1):
        sign_in(app, password="wrong-password")
    assert sign_in(app)[1].status_code == 303


@pytest.mark.parametrize("name, password", [
    pytest.param("张主管", "        ", id="all-spaces"),
    pytest.param("张主管", "short1", id="too-short"),
    pytest.param("zhangsan", "zhangsan", id="same-as-name"),
    pytest.param("zhangsan", "ZhangSan1", id="name-plus-a-digit"),
    pytest.param("zhangsan", "nasgnahz", id="name-reversed"),
    pytest.param("张主管", "password", id="common"),
    pytest.param("张主管", "Woaini1314", id="common-chinese-any-case"),
    pytest.param("张主管", "12345678", id="digits-run"),
    pytest.param("张主管", "aaaaaaaaaa", id="one-character"),
    pytest.param("张主管", "abababab", id="two-characters"),
])
def test_weak_passwords_are_refused(store, name, password):
    with pytest.raises(AccountError):
        check_password_strength(name, password)
    with pytest.raises(AccountError):
        add_user(store, name, password, "supervisor")


@pytest.mark.parametrize("name, password", [
    pytest.param("张主管", "晚霞-橘子-1987", id="chinese-phrase"),
    pytest.param("zhangsan", "zhangsan-blue-kite-77", id="name-inside-a-long-one"),
    pytest.param("张主管", "correct horse battery", id="with-spaces"),
])
def test_reasonable_passwords_are_accepted(name, password):
    check_password_strength(name, password)


def test_resetting_a_password_ends_the_accounts_sessions(app, store):
    c, _ = sign_in(app)
    add_user(store, "主管甲", "another-pass-22", "supervisor", replace=True)
    assert not signed_in(c)


def test_card_views_are_logged(app, store):
    c, _ = sign_in(app)
    assert c.get("/card", params={"id": "t1"}).status_code == 200
    (entry,) = store.access_entries()
    assert (entry["actor"], entry["transcript_id"]) == ("主管甲", "t1") and entry["address"]
    agent, _ = sign_in(app, name="xiaomei")
    assert agent.get("/card", params={"id": "t2"}).status_code == 200  # her own chat
    assert agent.get("/card", params={"id": "t4"}).status_code == 403  # another agent's: not shown, not a view
    assert [e["transcript_id"] for e in store.access_entries(actor="xiaomei")] == ["t2"]
