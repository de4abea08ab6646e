"""Sign-in and sign-out: GET/POST /login, POST /logout."""
from __future__ import annotations

import secrets

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from grader.review.auth import SESSION_LIFETIME, sign_in
from grader.review.web import Posted, address_of, context, csrf_valid, posted_form, render

router = APIRouter()


def safe_next(value: str | None) -> str:
    """Where to go after sign-in: a path of this site only ("/" otherwise)."""
    value = value or "/"
    return value if value.startswith("/") and not value.startswith("//") and "\\" not in value else "/"


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request, next: str = "/"):
    return render(request, "login.html", dict(next=safe_next(next), error=None, name=""))


@router.post("/login")
async def login(request: Request):
    """Throttled sign-in (per account and address); a new session id and CSRF token on success."""
    store = context(request).store
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    back = dict(next=safe_next(form.get("next")), name=form.get("name", ""))
    if not csrf_valid(request, form):
        return render(request, "login.html", dict(back, error="页面已过期，请重新登录"), 403)
    user, wait = sign_in(store, form.get("name", ""), form.get("password", ""), address_of(request))
    if user is None:
        error, status = "用户名或密码不正确", 401
        if wait:
            error, status = f"登录失败次数过多，已暂时锁定，请 {max(1, -(-wait // 60))} 分钟后再试", 429
        return render(request, "login.html", dict(back, error=error), status)
    request.session.clear()
    sid = secrets.token_urlsafe(32)
    store.create_session(sid, user["name"], SESSION_LIFETIME, address_of(request))
    request.session["sid"] = sid
    request.session["csrf"] = secrets.token_urlsafe(32)
    return RedirectResponse(safe_next(form.get("next")), status_code=303)


@router.post("/logout")
async def logout(request: Request, posted: Posted = Depends(posted_form(role=None))):
    context(request).store.end_session(request.session.get("sid"), posted.user["name"])
    request.session.clear()
    return RedirectResponse("/login", status_code=303)
