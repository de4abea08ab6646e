"""Commands of the review feature: `grader review`, `grader override`, `grader accept`, `grader user add|list`,
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
BY_HELP = "执行操作的主管账号（必须已存在；记入审计）"


def _store(args):
    from grader.store import Store
    return Store(args.db)


def _cmd_review(args) -> int:
    import uvicorn

    from grader.options import settings_of
    from grader.review.app import create_app

    # Scenario changes re-grade with the same settings (rubric, lexicons, options) the daily run uses.
    app = create_app(args.db, settings=settings_of(args))
    if args.sample_rate is not None or args.sample_seed is not None:
        store = app.state.store
        rate = store.review_sample()[0] if args.sample_rate is None else args.sample_rate
        try:
            n = store.set_review_sample(rate, args.sample_seed)
        except ValueError as exc:
            print(f"grader: {exc}", file=sys.stderr)
            return EXIT_ERROR
        print(f"复核抽样：{rate:.0%}（种子 {store.review_sample()[1]}），已为 {n} 张评分卡重新抽样", file=sys.stderr)
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
    _log_to_stderr()
    uvicorn.run(app, host=host, port=args.port, log_level=args.log_level)
    return EXIT_OK


def _log_to_stderr() -> None:
    """The app's own messages (background jobs done or failed, with the child's errors) on stderr, with their time."""
    import logging

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    log = logging.getLogger("grader")
    log.addHandler(handler)
    log.setLevel(logging.INFO)


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


def _cmd_accept(args) -> int:
    """`grader accept`: the queue page's bulk accept (`grader.review.bulk`) from the command line.
    Raises AccountError without --by (unless --dry-run) or for an account that is no supervisor."""
    from grader.options import period_of, settings_of
    from grader.review import bulk
    from grader.review.views import QueueFilters

    store = _store(args)
    if not args.dry_run:
        if not args.by:
            raise AccountError("必须用 --by 说明是哪位主管接受的（记入审计）；只想看看会接受哪些，请加 --dry-run")
        require_account(store, args.by)
    settings = settings_of(args)
    rubric = settings.load_rubric()
    since, until = period_of(args)[0].iso_bounds()
    filters = QueueFilters(since=since or "", until=until or "", shop=args.shop or "", agent=args.agent or "",
                           platform=args.platform or "", scenario=args.scenario or "")
    found = bulk.plan(store, filters.store_query(settings.tz), rubric, bulk.trust_rows(store, rubric, settings.tz),
                      bulk.floor_of(args.min_certainty), args.limit)
    done, refused = ([], []) if args.dry_run else bulk.accept(store, found, args.by)
    from grader.rubric.fitted import running_warning
    for line in bulk.plan_lines(found, None if args.dry_run else len(done), refused) + running_warning(
            settings.grader()):
        print(line, file=sys.stderr)
    print(json.dumps({"status": "ok", "dry_run": args.dry_run, "eligible": found.eligible,
                      "accepted": done if not args.dry_run else [], "would_accept": found.accept if args.dry_run else [],
                      "refused": refused, "left": found.left, "floor": found.floor,
                      "untrusted": {s: [u.item for u in g] for s, g in found.gates.items()}}, ensure_ascii=False))
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
    from zoneinfo import ZoneInfo

    from grader.dates import parse_day

    store = _store(args)
    require_account(store, args.by)
    days = args.older_than if args.older_than is not None else store.retention_days()
    if days is None:
        raise AccountError("没有设置保留期限：用 --older-than 天数，或先运行 grader retention set 天数")
    if days < 1:
        raise AccountError("保留天数至少为 1")
    before = (parse_day("today", ZoneInfo(args.tz)) - timedelta(days=days)).isoformat()  # the shop's day (--tz)
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
    """Add review, override, accept, user, secret, audit, purge and retention to grader's subparsers."""
    for add in (_add_review, _add_override, _add_accept, _add_user, _add_secret, _add_audit, _add_purge, _add_retention):
        add(subparsers)


def _add_review(subparsers) -> None:
    from grader.options import add_db_argument, add_grading_arguments, add_tz_argument, example

    r = subparsers.add_parser("review", help="在本机打开复核网页（中文界面）",
                              epilog=example("grader review --db out/grader.db", "grader review --host 0.0.0.0 --port 8765"))
    add_db_argument(r)
    r.add_argument("--host", default="127.0.0.1", help="监听地址（默认 127.0.0.1：只有本机能访问）")
    r.add_argument("--port", type=int, default=8765, help="端口（默认 8765）")
    r.add_argument("--log-level", default="warning", help="网页服务的日志级别（默认 warning）")
    r.add_argument("--sample-rate", type=float, help="复核预算：除必查的评分卡外随机抽查的比例（默认 0.1 即 10%%），"
                                                     "用来无偏地测量一致率；保存在数据库里，改动后重新抽样")
    r.add_argument("--sample-seed", help="随机抽样的种子（默认 grader；同一种子抽到同样的会话）")
    add_grading_arguments(r, "改场景后重新评分（与每天的评分相同）")
    add_tz_argument(r)
    r.add_argument("--policy", help="月度考核页面用的店铺考核方案 TOML（默认：自带的）")
    r.set_defaults(func=_cmd_review)


def _add_override(subparsers) -> None:
    from grader.options import add_db_argument, add_grading_arguments, add_tz_argument, example

    o = subparsers.add_parser("override", help="修改某个会话评分卡上的一项分数，需写原因（记入审计）",
                              epilog=example('grader override T123 presale.promotion 0 --reason "没有提到优惠" --by 张主管',
                                             'grader override T123 scenario aftersale --reason "是售后咨询" --by 张主管'))
    o.add_argument("transcript", metavar="会话ID", help="会话ID")
    o.add_argument("item", metavar="项目", help='评分项目的 id（如 presale.promotion）；红线 id（如 redline.abuse，'
                                              '分数 0 = 排除这条命中，1 = 确认）；或 "scenario"（场景）')
    o.add_argument("score", metavar="分数", help="该项目允许的分数之一（场景：presale 售前或 aftersale 售后）")
    o.add_argument("--reason", help="修改原因（分数有变化时必填）")
    o.add_argument("--by", required=True, help="做修改的主管账号（必须已存在；记入审计）")
    o.add_argument("--revision", type=int, help="评分卡在这个版本之后被改过就拒绝")
    add_db_argument(o)
    add_grading_arguments(o, "改场景后重新评分（与每天的评分相同）")
    add_tz_argument(o)
    o.set_defaults(func=_cmd_override)


def _add_accept(subparsers) -> None:
    from grader.options import add_db_argument, add_grading_arguments, add_period_arguments, example

    a = subparsers.add_parser(
        "accept", help="批量接受不需要人看、工具已获信任的评分卡（记录复核人和时间），并列出留给人工复核的及原因",
        epilog=example("grader accept --date yesterday --dry-run", "grader accept --date 2026-11-22 --by 张主管",
                       "grader accept --month 2026-11 --shop 小店 --min-certainty 0.9 --by 张主管"))
    add_period_arguments(a)
    a.add_argument("--by", help="接受的主管账号（必须已存在；记入审计）；--dry-run 时可以不给")
    a.add_argument("--shop", help="只看这个店铺")
    a.add_argument("--agent", help="只看这个客服账号")
    a.add_argument("--platform", help="只看这个平台（taobao、jd、pdd、douyin…）")
    a.add_argument("--scenario", choices=["presale", "aftersale"], help="只看售前（presale）或售后（aftersale）")
    a.add_argument("--min-certainty", type=float, default=0.8, help="把握至少多少（0.8～1，默认 0.8，低于 0.8 按 0.8）")
    a.add_argument("--limit", type=int, default=500, help="这次最多接受多少张（默认 500）")
    a.add_argument("--dry-run", action="store_true", help="只列出会接受多少张、哪些留给人工复核及原因，不做修改")
    add_db_argument(a)
    add_grading_arguments(a, "评分卡")
    a.set_defaults(func=_cmd_accept)


def _add_user(subparsers) -> None:
    from grader.options import add_db_argument, example

    u = subparsers.add_parser("user", help="复核网页的账号",
                              epilog=example("grader user add 张主管 --role supervisor", "grader user list"))
    usub = u.add_subparsers(dest="user_command", required=True, title="子命令", metavar="子命令")
    ua = usub.add_parser("add", help="新建账号（密码：--password、$GRADER_PASSWORD 或按提示输入）",
                         epilog=example("grader user add 张主管 --role supervisor",
                                        "grader user add 小美 --role agent --agent-account 小店:小美"))
    ua.add_argument("name", metavar="账号名", help="登录用的账号名")
    ua.add_argument("--role", required=True, choices=["supervisor", "agent"], help="supervisor 主管，agent 客服")
    ua.add_argument("--agent-account", help="客服账号：评分卡上的客服账号名")
    ua.add_argument("--password", help="密码（建议用 $GRADER_PASSWORD 或提示输入：命令行会留在历史记录里）")
    ua.add_argument("--replace", action="store_true", help="重设已有账号的密码和角色")
    add_db_argument(ua)
    ua.set_defaults(func=_cmd_user_add)
    ul = usub.add_parser("list", help="列出账号", epilog=example("grader user list"))
    add_db_argument(ul)
    ul.set_defaults(func=_cmd_user_list)


def _add_secret(subparsers) -> None:
    from grader.options import add_db_argument, example

    sec = subparsers.add_parser("secret", help="复核网页登录用的密钥（保存在数据库之外）",
                                epilog=example("grader secret rotate --by 张主管"))
    ssub = sec.add_subparsers(dest="secret_command", required=True, title="子命令", metavar="子命令")
    sr = ssub.add_parser("rotate", help="生成新的密钥文件（权限 0600），所有已登录的人需重新登录",
                         epilog=example("grader secret rotate --by 张主管"))
    sr.add_argument("--by", required=True, help=BY_HELP)
    add_db_argument(sr)
    sr.set_defaults(func=_cmd_secret_rotate)


def _add_audit(subparsers) -> None:
    from grader.options import add_db_argument, example

    a = subparsers.add_parser("audit", help="审计记录（只追加、哈希链防篡改）和查看记录",
                              epilog=example("grader audit verify", "grader audit log --transcript T123"))
    asub = a.add_subparsers(dest="audit_command", required=True, title="子命令", metavar="子命令")
    av = asub.add_parser("verify", help="检查哈希链以及每条改分记录是否与之一致（不一致时退出码 1）",
                         epilog=example("grader audit verify --db out/grader.db"))
    add_db_argument(av)
    av.set_defaults(func=_cmd_audit_verify)
    al = asub.add_parser("log", help="打印审计记录（每行一条 JSON，从旧到新）",
                         epilog=example("grader audit log --transcript T123 --limit 20"))
    al.add_argument("--transcript", help="只看这个会话")
    al.add_argument("--limit", type=int, help="只看最新的 N 条")
    add_db_argument(al)
    al.set_defaults(func=_cmd_audit_log)
    ac = asub.add_parser("access", help="打印谁在复核网页上打开过哪个会话（每行一条 JSON）",
                         epilog=example("grader audit access --user 张主管 --limit 50"))
    ac.add_argument("--transcript", help="只看这个会话")
    ac.add_argument("--user", help="只看这个账号")
    ac.add_argument("--limit", type=int, help="只看最新的 N 条")
    add_db_argument(ac)
    ac.set_defaults(func=_cmd_audit_access)


def _add_purge(subparsers) -> None:
    from grader.options import add_db_argument, add_tz_argument, example

    pg = subparsers.add_parser("purge", help="删除过期会话的聊天原文，保留评分（记入审计）",
                               epilog=example("grader purge --by 张主管 --dry-run", "grader purge --older-than 180 --by 张主管"))
    pg.add_argument("--older-than", type=int, metavar="天数",
                    help="开始于这么多天之前的会话（默认：已保存的保留期限）")
    pg.add_argument("--by", required=True, help=BY_HELP)
    pg.add_argument("--dry-run", action="store_true", help="只统计会删除多少，不删除")
    add_db_argument(pg)
    add_tz_argument(pg)
    pg.set_defaults(func=_cmd_purge)


def _add_retention(subparsers) -> None:
    from grader.options import add_db_argument, example

    rt = subparsers.add_parser("retention", help="聊天原文保留多少天（grader purge 按它删除）",
                               epilog=example("grader retention set 180 --by 张主管", "grader retention show"))
    rsub = rt.add_subparsers(dest="retention_command", required=True, title="子命令", metavar="子命令")
    rs = rsub.add_parser("set", help="保存保留期限", epilog=example("grader retention set 180 --by 张主管"))
    rs.add_argument("days", type=int, metavar="天数", help="聊天原文保留的天数（至少 1）")
    rs.add_argument("--by", required=True, help=BY_HELP)
    add_db_argument(rs)
    rs.set_defaults(func=_cmd_retention)
    rw = rsub.add_parser("show", help="显示保留期限", epilog=example("grader retention show"))
    add_db_argument(rw)
    rw.set_defaults(func=_cmd_retention)
