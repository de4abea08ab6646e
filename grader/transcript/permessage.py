"""Per-message exports: one record per message — a JSONL line each, or the list of an API
response — grouped into chats.

Layouts (field names as the platforms' public interfaces give them):

    wecom   企业微信 会话存档 (GetChatData, decrypted): msgid, action send/recall/switch, from, tolist,
            roomid, msgtime (ms, UTC), msgtype, text.content. An external_userid "wm…"/"wo…" is the
            customer, "wb…" a robot, any other id the staff member (userid). A chat: one
            customer with the shop's staff and robots, or the group (roomid). `switch` records (切换企业日志) hold no message.
    wxkf    微信客服 sync_msg: msg_list[] of msgid, open_kfid, external_userid, send_time (s), origin
            3 customer / 4 system event / 5 servicer, servicer_userid, msgtype, text.content;
            a session_status_change event with change_type 2 is a transfer between servicers.
            A chat: open_kfid + external_userid.
    feige   抖店飞鸽 message arrays: conversationId, senderRole (customer/buyer/user, shop/seller/
            service/agent, robot, system), createdAt (ms, s or text), content, senderName/senderId.
    pdd     拼多多 chat/list: messages[] of from{role user/mall_cs, uid}, to{…}, ts (s), content,
            is_aut (an auto-reply), nickname. A chat: the buyer's uid.
    jd      京麦 queryChatLog: chatLogList[] of customer, waiter, chatLogMessageList[] of waiterSend
            (true: the waiter's), created, content. A chat: one chatLog.

Records of one chat key are sorted by time and split into chats like Qianniu text (a buyer who
writes again after `session_gap` with nothing waiting, or after 24 h, opens a new chat). A record
that cannot be read sets its chat aside (file, line, reason); a whole batch of records of a
layout not understood is set aside once, naming the fields it holds.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable, Iterable, Iterator

from grader.transcript.model import Message, Transcript
from grader.transcript.parsing import BadTime, message, parse_time, system_kind
from grader.transcript.qianniu import MAX_GAP, SESSION_GAP
from grader.transcript.reader_types import SetAside

# Platform codes (transcript/platforms.py): WeChat's channels are no shop platform of their own.
PLATFORMS = {"wecom": "other", "wxkf": "other", "feige": "douyin", "pdd": "pdd", "jd": "jd"}
LABELS = {"wecom": "企业微信会话存档", "wxkf": "微信客服 sync_msg", "feige": "抖店飞鸽消息",
          "pdd": "拼多多 chat/list", "jd": "京麦 queryChatLog"}
_PLACEHOLDERS = {"image": "[图片]", "emotion": "[表情]", "voice": "[语音]", "video": "[视频]", "file": "[文件]",
                 "link": "[链接]", "location": "[位置]", "miniprogram": "[卡片]", "weapp": "[卡片]",
                 "card": "[卡片]", "redpacket": "[红包]", "business_card": "[卡片]"}


class BadRecord(Exception):
    """A record that cannot be read; str() is the reason for people, `key` its chat when known."""

    def __init__(self, reason: str, key: str | None = None):
        super().__init__(reason)
        self.key = key


class Skip(Exception):
    """A record that holds no message (企业微信 `switch`): read, and left out on purpose."""


@dataclass
class Rec:
    """One message of a per-message export, read; `key` names the chat it belongs to."""

    key: str
    time: datetime
    sender: str
    role: str
    text: str
    line: int | None
    auto: bool = False
    robot: str | None = None
    kind: str = "text"
    shop: str | None = None
    customer: str | None = None


def record_layout(data: object) -> str | None:
    """The per-message layout a JSON object is a record of (wecom, wxkf, feige, pdd), or None."""
    if not isinstance(data, dict):
        return None
    if "msgid" in data and "action" in data and ("msgtime" in data or data.get("action") == "switch"):
        return "wecom"
    if "origin" in data and "send_time" in data and ("open_kfid" in data or "external_userid" in data):
        return "wxkf"
    if "conversationId" in data and "senderRole" in data:
        return "feige"
    if isinstance(data.get("from"), dict) and "role" in data["from"] and "ts" in data:
        return "pdd"
    return None


def envelope_records(doc: object, depth: int = 3) -> tuple[str, list] | None:
    """(layout, records) of an API response or array holding per-message records: sync_msg's
    msg_list, chat/list's messages, queryChatLog's chatLogList, a list of records; up to `depth`
    levels of wrapping ("data", "result", a JOS "…_responce") are looked through. None when `doc`
    holds none of these."""
    if depth < 0:
        return None
    if isinstance(doc, list):
        return _array(doc)
    if not isinstance(doc, dict):
        return None
    if isinstance(doc.get("msg_list"), list):
        return "wxkf", doc["msg_list"]
    if isinstance(doc.get("chatLogList"), list):
        return "jd", doc["chatLogList"]
    for key in ("messages", "message_list", "msgList", "list", "chatdata"):
        found = _array(doc.get(key)) if isinstance(doc.get(key), list) else None
        if found:
            return found
    wrappers = [k for k in ("data", "result", "response") if isinstance(doc.get(k), (dict, list))]
    if len(doc) == 1 and isinstance(next(iter(doc.values())), dict):
        wrappers.append(next(iter(doc)))  # {"jingdong_im_pop_chatlog_get_responce": {…}}
    for key in wrappers:
        found = envelope_records(doc[key], depth - 1)
        if found:
            return found
    return None


def _array(items: list) -> tuple[str, list] | None:
    dicts = [x for x in items[:20] if isinstance(x, dict)]
    layouts = {record_layout(x) for x in dicts}
    if dicts and len(layouts) == 1 and None not in layouts:
        return layouts.pop(), items
    return None


# --- one record of each layout -----------------------------------------------------------------

def _time(value: object) -> datetime:
    try:
        return parse_time(value if not (isinstance(value, str) and value.isdigit()) else int(value))
    except BadTime as exc:
        raise BadRecord(str(exc)) from None


def _text(data: dict, kind_field: str = "msgtype") -> str:
    kind = str(data.get(kind_field) or "text")
    body = data.get(kind) if isinstance(data.get(kind), dict) else {}
    if kind == "text" or "content" in body:
        content = body.get("content", data.get("content"))
        if isinstance(content, str):
            return content
        if content is None and isinstance(data.get("content"), str):
            return data["content"]
        raise BadRecord(f"消息没有文字内容（msgtype {kind}）(no text)")
    return _PLACEHOLDERS.get(kind, f"[{kind}]")


def _wecom(data: dict, line: int | None) -> Rec:
    action = data.get("action")
    if action == "switch":
        raise Skip()
    if action not in ("send", "recall"):
        raise BadRecord(f"action 看不懂：{action!r}（应为 send/recall/switch）(unknown action)")
    sender = str(data.get("from") or "")
    to = data.get("tolist") if isinstance(data.get("tolist"), list) else []
    people = [sender] + [str(x) for x in to]
    customer = next((p for p in people if p.startswith(("wm", "wo"))), None)
    # One customer's chat with the shop, whoever of the staff (or its robot) answers; a group by its room.
    key = str(data.get("roomid") or "") or customer or "|".join(sorted(people))
    if not sender or not to:
        raise BadRecord("没有发送方 from 或接收方 tolist (no sender)", key)
    time = _time(data.get("msgtime"))
    if action == "recall":
        return Rec(key, time, "system", "system", f"{sender} 撤回了一条消息", line, kind="recall", customer=customer)
    text = _text(data)
    if sender.startswith(("wm", "wo")):
        return Rec(key, time, sender, "customer", text, line, customer=customer)
    robot = "full" if sender.startswith("wb") else None
    return Rec(key, time, sender, "agent", text, line, auto=robot is not None, robot=robot, customer=customer)


_KF_ROLES = {3: "customer", 4: "system", 5: "agent"}


def _wxkf(data: dict, line: int | None) -> Rec:
    role = _KF_ROLES.get(data.get("origin"))
    if role is None:
        raise BadRecord(f"origin 看不懂：{data.get('origin')!r}（3 客户、4 系统、5 接待人员）(unknown origin)")
    customer = str(data.get("external_userid") or "")
    key = f"{data.get('open_kfid') or ''}|{customer}"
    time = _time(data.get("send_time"))
    if role == "system":
        text, kind = _kf_event(data)
        return Rec(key, time, "system", "system", text, line, kind=kind, customer=customer or None)
    sender = customer if role == "customer" else str(data.get("servicer_userid") or data.get("open_kfid") or "客服")
    return Rec(key, time, sender, role, _text(data), line, shop=str(data.get("open_kfid") or "") or None,
               customer=customer or None)


def _kf_event(data: dict) -> tuple[str, str]:
    event = data.get("event") if isinstance(data.get("event"), dict) else {}
    kind = event.get("event_type") or data.get("msgtype") or "event"
    if kind == "session_status_change" and event.get("change_type") == 2:
        return f"由 {event.get('old_servicer_userid') or '?'} 转交给 {event.get('new_servicer_userid') or '?'}", "transfer"
    if kind == "session_status_change" and event.get("change_type") == 3:
        return "会话已结束", "closed"
    text = _text(data) if data.get("msgtype") == "text" else f"[系统事件] {kind}"
    return text, system_kind(text)


_FEIGE_ROLES = {"customer": "customer", "buyer": "customer", "user": "customer", "consumer": "customer",
                "shop": "agent", "seller": "agent", "service": "agent", "agent": "agent", "cs": "agent",
                "kefu": "agent", "staff": "agent", "robot": "robot", "bot": "robot", "system": "system"}


def _feige(data: dict, line: int | None) -> Rec:
    word = str(data.get("senderRole") or "").strip().lower()
    role = _FEIGE_ROLES.get(word)
    if role is None:
        raise BadRecord(f"senderRole 看不懂：{data.get('senderRole')!r}（应为 customer/shop/robot/system）(unknown role)")
    time = _time(data.get("createdAt", data.get("createTime")))
    text = data.get("content", data.get("text", data.get("msgContent")))
    if isinstance(text, dict):
        text = text.get("text", text.get("content"))
    if not isinstance(text, str):
        raise BadRecord("消息没有文字内容 content (no text)")
    sender = str(data.get("senderName") or data.get("senderNick") or data.get("senderId") or role)
    key = str(data["conversationId"])
    if role == "system":
        return Rec(key, time, "system", "system", text, line, kind=system_kind(text))
    robot = "full" if role == "robot" or data.get("isRobot") in (True, 1, "1") else None
    return Rec(key, time, sender, "agent" if role != "customer" else "customer", text, line,
               auto=robot is not None, robot=robot, shop=data.get("shopName") or None)


def _pdd(data: dict, line: int | None) -> Rec:
    frm, to = data.get("from") or {}, data.get("to") if isinstance(data.get("to"), dict) else {}
    role = {"user": "customer", "mall_cs": "agent", "mall_system": "system", "system": "system"}.get(frm.get("role"))
    if role is None:
        raise BadRecord(f"from.role 看不懂：{frm.get('role')!r}（应为 user/mall_cs）(unknown role)")
    buyer = frm.get("uid") if role == "customer" else to.get("uid")
    time = _time(data.get("ts"))
    text = data.get("content")
    if not isinstance(text, str):
        raise BadRecord("消息没有文字内容 content (no text)")
    key = f"{to.get('mall_id') or frm.get('mall_id') or ''}|{buyer}"
    if role == "system":
        return Rec(key, time, "system", "system", text, line, kind=system_kind(text))
    if role == "customer":
        sender = str(data.get("nickname") or buyer)
        return Rec(key, time, sender, role, text, line, customer=sender)
    sender = str(frm.get("csid") or data.get("cs_name") or frm.get("uid") or "客服")
    auto = data.get("is_aut") in (True, 1, "1")
    return Rec(key, time, sender, role, text, line, auto=auto, robot="full" if data.get("is_robot") in (True, 1) else None)


def _jd_records(log: object, position: int) -> list[Rec]:
    """The messages of one queryChatLog chatLog."""
    if not isinstance(log, dict) or not isinstance(log.get("chatLogMessageList"), list):
        raise BadRecord(f"第 {position} 个 chatLog 没有 chatLogMessageList (no messages)")
    customer, waiter = str(log.get("customer") or ""), str(log.get("waiter") or "客服")
    key = str(log.get("sid") or log.get("sessionId") or f"{waiter}|{customer}|{position}")
    out = []
    for raw in log["chatLogMessageList"]:
        if not isinstance(raw, dict) or not isinstance(raw.get("content"), str):
            raise BadRecord(f"第 {position} 个 chatLog 里有一条消息没有文字内容 content (no text)")
        agent = raw.get("waiterSend") in (True, 1, "1", "true")
        out.append(Rec(key, _time(raw.get("created")), waiter if agent else customer, "agent" if agent else "customer",
                       raw["content"], None, customer=customer or None))
    return out


READERS: dict[str, Callable[[dict, int | None], Rec]] = {"wecom": _wecom, "wxkf": _wxkf, "feige": _feige, "pdd": _pdd}


# --- records → chats ----------------------------------------------------------------------------

@dataclass
class _Group:
    recs: list[Rec] = field(default_factory=list)
    error: tuple[int | None, str] | None = None
    lines: list[int] = field(default_factory=list)


def group_records(layout: str, records: Iterable[tuple[int | None, object]], file: str,
                  session_gap: timedelta | None = None) -> Iterator[Transcript | SetAside]:
    """Chats from (line, record) pairs of one layout, in the order their first records came."""
    groups: dict[str, _Group] = {}
    loose = _Group()  # records whose chat cannot be told
    for line, raw in records:
        try:
            recs = _jd_records(raw, len(groups) + 1) if layout == "jd" else [READERS[layout](raw, line)]
        except Skip:
            continue
        except (BadRecord, KeyError, TypeError, ValueError, AttributeError) as exc:
            known = getattr(exc, "key", None)
            _fail(groups.setdefault(known, _Group()) if known else _key_of(layout, raw, groups, loose), line, exc)
            continue
        for rec in recs:
            group = groups.setdefault(rec.key, _Group())
            group.recs.append(rec)
            if line is not None:
                group.lines.append(line)
    if loose.error is not None:
        groups["?"] = loose
    for key, group in groups.items():
        if group.error is not None:
            yield _aside(file, group, key, f"{LABELS[layout]}：{group.error[1]}")
            continue
        yield from _chats(layout, key, group.recs, file, session_gap or SESSION_GAP)


def _key_of(layout: str, raw: object, groups: dict, loose: _Group) -> _Group:
    """The group a bad record belongs to (its chat), or `loose` when even that cannot be told."""
    try:
        if layout != "jd":
            rec_key = READERS[layout](dict(raw, **_SAFE.get(layout, {})), None).key
            return groups.setdefault(rec_key, _Group())
    except Exception:  # noqa: BLE001 — a record too broken to name its chat
        pass
    return loose


# Values that make a record readable enough to find its chat (its key fields are kept).
_SAFE = {"wecom": {"msgtime": 1700000000000, "action": "send", "msgtype": "text", "text": {"content": ""}},
         "wxkf": {"send_time": 1700000000, "origin": 3, "msgtype": "text", "text": {"content": ""}},
         "feige": {"createdAt": 1700000000000, "senderRole": "customer", "content": ""},
         "pdd": {"ts": 1700000000, "content": ""}}


def _fail(group: _Group, line: int | None, exc: Exception) -> None:
    if line is not None:
        group.lines.append(line)
    if group.error is None:
        reason = str(exc) if isinstance(exc, BadRecord) else f"记录读不懂：{type(exc).__name__}: {str(exc)[:200]}"
        group.error = (line, reason)


def _aside(file: str, group: _Group, key: str, reason: str) -> SetAside:
    lines = group.lines
    return SetAside(file=file, line=group.error[0] if group.error[0] is not None else (min(lines) if lines else None),
                    reason=reason, span=(min(lines), max(lines)) if lines else None,
                    transcript_id=None if key == "?" else key)


def _chats(layout: str, key: str, recs: list[Rec], file: str, gap: timedelta) -> Iterator[Transcript]:
    recs = sorted(recs, key=lambda r: r.time)
    for session in _sessions(recs, gap):
        messages = [message(time=r.time, sender=r.sender, role=r.role, text=r.text, auto_reply=r.auto,
                            kind=r.kind, source_file=file, source_line=r.line, robot=r.robot) for r in session]
        customer = next((r.sender for r in session if r.role == "customer"), None)
        shop = next((r.shop for r in session if r.shop), None)
        first = session[0].time
        tid = f"{layout}-" + hashlib.sha1(f"{key}|{first.isoformat()}".encode("utf-8")).hexdigest()[:12]
        lines = [r.line for r in session if r.line is not None]
        transcript = Transcript.model_construct(
            id=tid, platform=PLATFORMS[layout], shop=shop, agent=None, agents=[], customer=customer,
            messages=messages, source_file=file, source_line=min(lines) if lines else None, notes=[],
            time_resolution=1, next_chat_at=None)
        yield transcript.normalize()


def _sessions(recs: list[Rec], gap: timedelta) -> Iterator[list[Rec]]:
    """Chats of one key: a new one when the buyer writes after `gap` with no message of theirs
    waiting for a person, or after MAX_GAP whatever was waiting."""
    session: list[Rec] = []
    waiting, last = False, None
    for r in recs:
        if r.role == "customer" and last is not None:
            idle = r.time - last
            if idle > MAX_GAP or (idle > gap and not waiting):
                yield session
                session, waiting = [], False
        session.append(r)
        if r.role != "system":
            last = r.time
            if r.role == "customer":
                waiting = True
            elif not r.auto:
                waiting = False
    if session:
        yield session
