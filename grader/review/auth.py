"""Accounts of the review app: scrypt-hashed passwords, roles, sign-in throttling, the session secret.

The secret that signs session cookies is never kept in the database: it comes from $GRADER_SECRET,
or from a file readable only by its owner (0600): $GRADER_SECRET_FILE, else `<database>.secret`
beside a SQLite database, else `~/.config/grader/secret`. Cookies carry a random session id whose
sha256 the store keeps (see grader.store.security): logout ends it, and it expires.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import stat
from datetime import datetime, timedelta
from pathlib import Path

from grader.display import ACCOUNT_ROLE_LABELS as ROLE_LABELS
from grader.errors import GraderError
from grader.store import Store, now_iso

ROLES = ("supervisor", "agent")
_N, _R, _P, _DKLEN = 2 ** 14, 8, 1, 32
SESSION_LIFETIME = timedelta(hours=12)  # a session ends 12 h after sign-in …
SESSION_IDLE = timedelta(hours=2)       # … or after 2 h without a request
THROTTLE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5            # then the account is locked until 15 min after its last failure
MAX_FAILURES_PER_ADDRESS = 20           # the same for the address the attempts come from
COMMON_PASSWORDS = Path(__file__).with_name("common_passwords.txt")


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
             replace: bool = False, by: str | None = None) -> dict:
    """Create an account (or, with replace=True, reset its password/role and end its sessions).

    Agents need agent_account; weak passwords are refused (check_password_strength); audited as
    done by `by` (default: the account itself).
    Raises AccountError for a taken name, a weak password or an unknown role."""
    name = (name or "").strip()
    if not name:
        raise AccountError("用户名不能为空")
    if role not in ROLES:
        raise AccountError(f"角色必须是 {' 或 '.join(ROLES)}，不是 {role!r}")
    if role == "agent" and not agent_account:
        raise AccountError("客服账号需要 --agent-account（评分卡上的客服账号名）")
    check_password_strength(name, password)
    row = dict(role=role, agent_account=agent_account if role == "agent" else None,
               password_hash=hash_password(password))
    with store.unit() as u:
        if not u.put_user(name, row, now_iso(), replace):
            raise AccountError(f"用户 {name} 已存在")
        u.audit(by or name, "user_add", None, dict(name=name, role=role, agent_account=row["agent_account"],
                                                   replaced=replace))
    if replace:
        store.end_sessions(name)  # a reset password signs the account out everywhere
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


def _common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def check_password_strength(name: str, password: str | None) -> None:
    """Refuse (AccountError, Chinese) a password shorter than 8, only spaces, the user name (or it
    reversed, or contained in it), one repeated character, or on the common-password list."""
    password = password or ""
    if not password.strip():
        raise AccountError("密码不能为空或全是空格")
    if len(password) < 8:
        raise AccountError("密码至少 8 个字符")
    low, user = password.strip().lower(), (name or "").strip().lower()
    if user and (low == user or low == user[::-1] or user in low and len(low) - len(user) < 4):
        raise AccountError("密码不能与用户名相同或只是在用户名前后加几个字符")
    if len(set(low)) <= 2:
        raise AccountError("密码不能只由一两个字符重复组成")
    if low in _common_passwords():
        raise AccountError("这是常见密码，很容易被猜到，请换一个")


def require_account(store: Store, name: str | None, role: str | None = "supervisor") -> dict:
    """The existing account `name` (the command line acts as one); AccountError, in Chinese, if there
    is none or it lacks `role`."""
    user = get_user(store, (name or "").strip())
    if user is None:
        raise AccountError(f"没有名为「{name}」的账号，不能以这个名字操作；请先用 grader user add 创建账号")
    if role is not None and user["role"] != role:
        raise AccountError(f"账号「{name}」是{ROLE_LABELS[user['role']]}，这个操作只有{ROLE_LABELS[role]}可以做")
    return user


def lockout_seconds(store: Store, name: str, address: str | None) -> int:
    """Seconds until this account and address may try again (0: now)."""
    failures = store.login_failures((name or "").strip(), address, THROTTLE_WINDOW)
    wait = 0
    for key, limit in (("name", MAX_FAILURES_PER_ACCOUNT), ("address", MAX_FAILURES_PER_ADDRESS)):
        count, last = failures[key]
        if count >= limit and last:
            until = datetime.fromisoformat(last) + THROTTLE_WINDOW
            wait = max(wait, int((until - datetime.now(until.tzinfo)).total_seconds()) + 1)
    return max(wait, 0)


def sign_in(store: Store, name: str, password: str, address: str | None) -> tuple[dict | None, int]:
    """(account, 0) on success; (None, seconds to wait) when locked out — the password is then not even
    checked; (None, 0) for a wrong name or password, which is counted and audited."""
    name = (name or "").strip()
    wait = lockout_seconds(store, name, address)
    if wait:
        return None, wait
    user = authenticate(store, name, password)
    if user is None:
        store.record_login_failure(name, address)
        return None, lockout_seconds(store, name, address)
    store.clear_login_failures(name)
    return user, 0


def secret_path(store: Store) -> Path:
    """Where the session secret file of this database is (see the module docstring)."""
    env = os.environ.get("GRADER_SECRET_FILE")
    if env:
        return Path(env)
    db = store.database_file()
    if db is not None:
        return db.with_name(db.name + ".secret")
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "grader" / "secret"


def _write_secret(path: Path, value: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(value + "\n")
    os.replace(tmp, path)


def session_secret(store: Store) -> str:
    """$GRADER_SECRET, else the secret file (created with 0600 on first use).

    Raises AccountError when the file can be read by others (group/world permissions) or is empty.
    """
    env = os.environ.get("GRADER_SECRET")
    if env:
        return env
    path = secret_path(store)
    if not path.exists():
        _write_secret(path, secrets.token_hex(32))
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise AccountError(f"会话密钥文件 {path} 的权限过宽（{stat.filemode(mode)}），其他用户可以读取；"
                           f"请运行 chmod 600 {path}")
    value = path.read_text(encoding="utf-8").strip()
    if len(value) < 32:
        raise AccountError(f"会话密钥文件 {path} 是空的或太短；请运行 grader secret rotate 重新生成")
    return value


def rotate_secret(store: Store, by: str) -> tuple[Path | None, int]:
    """A new random secret in the secret file, every session ended, the rotation audited.

    Returns (the file, or None when $GRADER_SECRET is set and must be changed there, sessions ended).
    """
    path = None
    if not os.environ.get("GRADER_SECRET"):
        path = secret_path(store)
        _write_secret(path, secrets.token_hex(32))
    ended = store.end_sessions()
    store.audit(by, "secret_rotate", None, {"file": str(path) if path else "$GRADER_SECRET", "sessions_ended": ended})
    return path, ended
