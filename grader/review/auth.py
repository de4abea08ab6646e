"""Accounts of the review app: scrypt-hashed passwords, roles, the session secret."""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets

from grader.errors import GraderError
from grader.store import Store, now_iso

ROLES = ("supervisor", "agent")
ROLE_LABELS = {"supervisor": "主管", "agent": "客服"}
_N, _R, _P, _DKLEN = 2 ** 14, 8, 1, 32
SECRET_KEY = "review_session_secret"


class AccountError(GraderError):
    """An account could not be created or used."""


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=_N, r=_R, p=_P, dklen=_DKLEN)
    return f"scrypt${_N}${_R}${_P}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = bytes.fromhex(digest)
        got = hashlib.scrypt(password.encode("utf-8"), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p),
                             dklen=len(expected))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


# A hash to compare against when the user does not exist, so timing does not tell which names exist.
_DUMMY = hash_password(secrets.token_hex(8))


def add_user(store: Store, name: str, password: str, role: str, agent_account: str | None = None,
             replace: bool = False) -> dict:
    """Create an account (or, with replace=True, reset its password/role). Agents need agent_account."""
    name = (name or "").strip()
    if not name:
        raise AccountError("用户名不能为空")
    if role not in ROLES:
        raise AccountError(f"角色必须是 {' 或 '.join(ROLES)}，不是 {role!r}")
    if role == "agent" and not agent_account:
        raise AccountError("客服账号需要 --agent-account（评分卡上的客服账号名）")
    if not password or len(password) < 8:
        raise AccountError("密码至少 8 个字符")
    row = dict(role=role, agent_account=agent_account if role == "agent" else None,
               password_hash=hash_password(password))
    with store.unit() as u:
        if not u.put_user(name, row, now_iso(), replace):
            raise AccountError(f"用户 {name} 已存在")
    return dict(name=name, role=role, agent_account=row["agent_account"])


def get_user(store: Store, name: str | None) -> dict | None:
    if not name:
        return None
    with store.reading() as u:
        row = u.user(name)
    return {k: row[k] for k in ("name", "role", "agent_account")} if row else None


def list_users(store: Store) -> list[dict]:
    with store.reading() as u:
        return u.users()


def authenticate(store: Store, name: str, password: str) -> dict | None:
    with store.reading() as u:
        row = u.user((name or "").strip())
    ok = verify_password(password or "", row["password_hash"] if row else _DUMMY)
    if not (row and ok):
        return None
    return dict(name=row["name"], role=row["role"], agent_account=row["agent_account"])


def session_secret(store: Store) -> str:
    """$GRADER_SECRET, else a random secret generated once per database and kept in `meta`."""
    env = os.environ.get("GRADER_SECRET")
    if env:
        return env
    with store.unit() as u:
        value = u.meta_value(SECRET_KEY)
        if value:
            return value
        value = secrets.token_hex(32)
        u.set_meta_value(SECRET_KEY, value)
        return value
