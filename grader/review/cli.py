"""Commands of the review feature: `grader review`, `grader override`, `grader user add|list`.

grader/cli.py calls `cli_register(sub)` with its subparsers; each command sets `func(args) -> int`.
"""
from __future__ import annotations

import getpass
import ipaddress
import json
import os
import sys

from grader.review.auth import AccountError, add_user, list_users  # noqa: F401  (add_user is public here)

EXIT_OK = 0


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

    grader = settings_of(args).grader() if args.item == "scenario" else None
    change = apply_override(_store(args), args.transcript, args.item, args.score, args.reason, args.by,
                            expected_revision=args.revision, source="cli", grader=grader)
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
    o.add_argument("--by", required=True, help="who makes the change (recorded in the audit)")
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
