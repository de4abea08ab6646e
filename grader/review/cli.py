"""Commands of the review feature: `grader review`, `grader override`, `grader user add|list`,
`grader secret rotate`, `grader audit verify|log|access`, `grader purge`, `grader retention`.

grader/cli.py calls `cli_register(sub)` with its subparsers; each command sets `func(args) -> int`.
"""
from __future__ import annotations

import getpass
import ipaddress
import json
import os
import sys

from grader.review.auth import AccountError, add_user, list_users, require_account  # noqa: F401  (add_user is public here)

EXIT_OK, EXIT_ERROR = 0, 1


def _store(args):
    from grader.store import Store
    return Store(args.db)


def _cmd_review(args) -> int:
    import uvicorn

    from grader.options import settings_of
    from grader.review.app import create_app

    # Scenario changes re-grade with the same settings (rubric, lexicons, options) the daily run uses.
    app = create_app(args.db, settings=settings_of(args))
    if args.policy:  # the month page's policy; refused now, not on the first visit, when it is not valid
        from grader.report.policy import load_policy
        load_policy(args.policy)
        app.state.policy_path = args.policy
    host = args.host
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not loopback:
        print(f"注意：正在 {host} 上监听，同一网络中的其他电脑也能访问（请只在可信网络中使用）", file=sys.stderr)
    shown = f"[{host}]" if ":" in host else host
    print(f"复核页面：http://{shown}:{args.port}/  （数据库 {app.state.store.url}；按 Ctrl+C 停止）", flush=True)
    uvicorn.run(app, host=host, port=args.port, log_level=args.log_level)
    return EXIT_OK


def _cmd_override(args) -> int:
    from grader.options import settings_of
    from grader.review.overrides import apply_override

    store = _store(args)
    require_account(store, args.by)  # the command line acts as a named, existing supervisor
    settings = settings_of(args)
    grader = settings.grader() if args.item == "scenario" else None
    change = apply_override(store, args.transcript, args.item, args.score, args.reason, args.by,
                            expected_revision=args.revision, source="cli", grader=grader,
                            rubric=settings.load_rubric())
    result = {"status": "ok", **change.as_dict()}
    if change.override_id is None:
        print(f"{args.transcript} {args.item} 已经是 {change.to_value}，没有修改", file=sys.stderr)
    else:
        print(f"{args.transcript} {args.item}：{change.from_value} → {change.to_value}（已记录，版本 {change.revision}）",
              file=sys.stderr)
    print(json.dumps(result, ensure_ascii=False))
    return EXIT_OK


def _password(args) -> str:
    if args.password:
        return args.password
    env = os.environ.get("GRADER_PASSWORD")
    if env:
        return env
    if not sys.stdin.isatty():
        raise AccountError("没有密码：用 --password、环境变量 GRADER_PASSWORD，或在终端中运行以输入密码")
    first = getpass.getpass(f"{args.name} 的密码：")
    if first != getpass.getpass("再输入一次：" ):
        raise AccountError("两次输入的密码不一致")
    return first


def _cmd_user_add(args) -> int:
    user = add_user(_store(args), args.name, _password(args), args.role, args.agent_account, replace=args.replace)
    print(f"已{'更新' if args.replace else '创建'}用户 {user['name']}（{user['role']}）", file=sys.stderr)
    print(json.dumps({"status": "ok", **user}, ensure_ascii=False))
    return EXIT_OK


def _cmd_user_list(args) -> int:
    for u in list_users(_store(args)):
        print(json.dumps(u, ensure_ascii=False))
    return EXIT_OK


def _cmd_secret_rotate(args) -> int:
    from grader.review.auth import rotate_secret

    store = _store(args)
    require_account(store, args.by)
    path, ended = rotate_secret(store, args.by)
    if path is None:
        print("会话密钥来自环境变量 GRADER_SECRET：请在那里换成新的值。已结束所有登录会话。", file=sys.stderr)
    else:
        print(f"已生成新的会话密钥 {path}（权限 600），结束了 {ended} 个登录会话，所有人需要重新登录", file=sys.stderr)
    print(json.dumps({"status": "ok", "file": str(path) if path else None, "sessions_ended": ended}, ensure_ascii=False))
    return EXIT_OK


def _cmd_audit_verify(args) -> int:
    store = _store(args)
    problems = store.verify_audit()
    entries = store.count_audit()
    for p in problems:
        print(f"  {p}", file=sys.stderr)
    if problems:
        print(f"审计记录校验失败：发现 {len(problems)} 处问题（共 {entries} 条记录）", file=sys.stderr)
    else:
        print(f"审计记录完整：{entries} 条记录，哈希链与改分记录一致", file=sys.stderr)
    print(json.dumps({"status": "ok" if not problems else "tampered", "entries": entries, "problems": problems},
                     ensure_ascii=False))
    return EXIT_OK if not problems else EXIT_ERROR


def _cmd_audit_log(args) -> int:
    for entry in reversed(_store(args).audit_entries(args.transcript, args.limit)):
        print(json.dumps(entry, ensure_ascii=False))
    return EXIT_OK


def _cmd_audit_access(args) -> int:
    for entry in reversed(_store(args).access_entries(args.transcript, args.user, args.limit)):
        print(json.dumps(entry, ensure_ascii=False))
    return EXIT_OK


def _cmd_purge(args) -> int:
    from datetime import timedelta

    from grader.dates import parse_day

    store = _store(args)
    require_account(store, args.by)
    days = args.older_than if args.older_than is not None else store.retention_days()
    if days is None:
        raise AccountError("没有设置保留期限：用 --older-than 天数，或先运行 grader retention set 天数")
    if days < 1:
        raise AccountError("保留天数至少为 1")
    before = (parse_day("today") - timedelta(days=days)).isoformat()  # local day (Asia/Shanghai)
    counts = store.purge_before(before, args.by, dry_run=args.dry_run)
    verb = "将删除" if args.dry_run else "已删除"
    print(f"{verb} {counts['chats']} 个 {before} 之前开始的会话的聊天原文（评分保留），"
          f"处理评分卡 {counts['scorecards']} 张，搁置记录 {counts['set_aside']} 条", file=sys.stderr)
    print(json.dumps({"status": "ok", "dry_run": args.dry_run, "older_than_days": days, **counts}, ensure_ascii=False))
    return EXIT_OK


def _cmd_retention(args) -> int:
    store = _store(args)
    if args.retention_command == "set":
        require_account(store, args.by)
        if args.days < 1:
            raise AccountError("保留天数至少为 1")
        store.set_retention_days(args.days, args.by)
    days = store.retention_days()
    print(f"聊天原文保留期限：{f'{days} 天' if days else '未设置（不自动删除）'}", file=sys.stderr)
    print(json.dumps({"status": "ok", "retention_days": days}, ensure_ascii=False))
    return EXIT_OK


def cli_register(subparsers) -> None:
    """Add `review`, `override` and `user` to grader's subparsers."""
    from grader.options import add_db_argument, add_grading_arguments, add_tz_argument

    r = subparsers.add_parser("review", help="serve the review web app (Chinese interface) on this machine")
    add_db_argument(r)
    r.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    r.add_argument("--port", type=int, default=8765, help="port (default 8765)")
    r.add_argument("--log-level", default="warning", help="uvicorn log level (default warning)")
    add_grading_arguments(r, "scenario re-grades (as the daily run)")
    add_tz_argument(r)
    r.add_argument("--policy", help="the shop's assessment policy TOML for the month page (default: bundled)")
    r.set_defaults(func=_cmd_review)

    o = subparsers.add_parser("override", help="set an item of a chat's scorecard, with a reason (audited)")
    o.add_argument("transcript", help="transcript id")
    o.add_argument("item", help='rubric item id (e.g. presale.promotion), or "scenario"')
    o.add_argument("score", help="one of the item's allowed levels (for scenario: presale or aftersale)")
    o.add_argument("--reason", help="why (required when the score changes)")
    o.add_argument("--by", required=True, help="the supervisor account making the change (must exist; audited)")
    o.add_argument("--revision", type=int, help="refuse if the scorecard changed since this revision")
    add_db_argument(o)
    add_grading_arguments(o, "scenario re-grades (as the daily run)")
    add_tz_argument(o)
    o.set_defaults(func=_cmd_override)

    u = subparsers.add_parser("user", help="review app accounts")
    usub = u.add_subparsers(dest="user_command", required=True)
    ua = usub.add_parser("add", help="create an account (password: --password, $GRADER_PASSWORD or prompted)")
    ua.add_argument("name")
    ua.add_argument("--role", required=True, choices=["supervisor", "agent"])
    ua.add_argument("--agent-account", help="for agents: the agent account name on scorecards")
    ua.add_argument("--password", help="the password (prefer $GRADER_PASSWORD or the prompt: shell history)")
    ua.add_argument("--replace", action="store_true", help="reset an existing account's password and role")
    add_db_argument(ua)
    ua.set_defaults(func=_cmd_user_add)
    ul = usub.add_parser("list", help="list accounts")
    add_db_argument(ul)
    ul.set_defaults(func=_cmd_user_list)

    sec = subparsers.add_parser("secret", help="the secret that signs review-app sessions (kept outside the database)")
    ssub = sec.add_subparsers(dest="secret_command", required=True)
    sr = ssub.add_parser("rotate", help="write a new secret file (0600) and end every session")
    sr.add_argument("--by", required=True, help="the supervisor account doing it (must exist; audited)")
    add_db_argument(sr)
    sr.set_defaults(func=_cmd_secret_rotate)

    a = subparsers.add_parser("audit", help="the append-only, hash-chained audit log and the access log")
    asub = a.add_subparsers(dest="audit_command", required=True)
    av = asub.add_parser("verify", help="check the hash chain and that every override matches it (exit 1 if not)")
    add_db_argument(av)
    av.set_defaults(func=_cmd_audit_verify)
    al = asub.add_parser("log", help="print audit entries (JSON lines, oldest first)")
    al.add_argument("--transcript", help="only this chat")
    al.add_argument("--limit", type=int, help="only the newest N")
    add_db_argument(al)
    al.set_defaults(func=_cmd_audit_log)
    ac = asub.add_parser("access", help="print who opened which chat in the review app (JSON lines)")
    ac.add_argument("--transcript", help="only this chat")
    ac.add_argument("--user", help="only this account")
    ac.add_argument("--limit", type=int, help="only the newest N")
    add_db_argument(ac)
    ac.set_defaults(func=_cmd_audit_access)

    pg = subparsers.add_parser("purge", help="remove the chat text of old chats, keeping their scores (audited)")
    pg.add_argument("--older-than", type=int, metavar="DAYS",
                    help="chats that began more than DAYS days ago (default: the saved retention)")
    pg.add_argument("--by", required=True, help="the supervisor account doing it (must exist; audited)")
    pg.add_argument("--dry-run", action="store_true", help="only count what would be removed")
    add_db_argument(pg)
    pg.set_defaults(func=_cmd_purge)

    rt = subparsers.add_parser("retention", help="how many days chat text is kept (used by grader purge)")
    rsub = rt.add_subparsers(dest="retention_command", required=True)
    rs = rsub.add_parser("set", help="save the retention period")
    rs.add_argument("days", type=int)
    rs.add_argument("--by", required=True, help="the supervisor account doing it (must exist; audited)")
    add_db_argument(rs)
    rs.set_defaults(func=_cmd_retention)
    rw = rsub.add_parser("show", help="print the retention period")
    add_db_argument(rw)
    rw.set_defaults(func=_cmd_retention)
