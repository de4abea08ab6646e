"""How v1.db was made: by grader at commit 1b54207 (schema version 1, scorecards as whole JSON).

Kept to show what the fixture holds; it only runs against that version's code, and the migration
test reads the committed database, not this script.
"""
import sys

from grader.pipeline import Grader
from grader.review.auth import add_user
from grader.review.disputes import open_dispute
from grader.review.overrides import apply_override, mark_reviewed
from grader.store import Store
from tests.builders import transcript


def main(path: str) -> None:
    store, grader = Store(path), Grader()
    chats = [
        transcript("c 10:00:00 在吗，这件衣服有优惠吗", "auto 10:00:01 您好，欢迎光临小店",
                   "a 10:00:15 您好，现在满200减30哦，请问您平时穿什么尺码", "c 10:01:00 M码，好的谢谢",
                   "a 10:01:20 不客气，请问还有什么可以帮您", id="t1"),
        transcript("c 11:00:00 我的快递三天没动了", "a 11:00:40 你等着吧", "c 11:02:00 ？？",
                   "a 11:03:00 你自己查", id="t2"),
        transcript("c 23:59:30 在吗", "a 23:59:50 您好，请问需要什么帮助", "c 00:00:30 没事了",
                   "a 00:00:35 好的，谢谢您", id="t3"),
    ]
    store.save([(t, grader.grade(t)) for t in chats])
    # t2 is re-graded after a content change: one history row, one current
    t2b = transcript("c 11:00:00 我的快递三天没动了", "a 11:00:20 您好，请您稍等，我帮您查一下",
                     "c 11:02:00 好", "a 11:03:00 已经帮您催了", id="t2")
    store.save([(t2b, grader.grade(t2b))])
    add_user(store, "主管甲", "secret-pass-1", "supervisor")
    add_user(store, "xiaomei", "secret-pass-1", "agent", agent_account="小店:小美")
    card = store.current_scorecards(["t1"])["t1"]
    item = next(i for i in card.items if len(i.levels) > 1)
    level = next(v for v in item.levels if v != item.score)
    apply_override(store, "t1", item.id, level, "证据不足", "主管甲", source="web")
    mark_reviewed(store, "t1", "主管甲")
    apply_override(store, "t2", "scenario", "presale", "其实是售前咨询", "主管甲", source="web", grader=grader)
    open_dispute(store, "t2", store.current_scorecards(["t2"])["t2"].items[0].id, "xiaomei", "我回复很快")
    run = store.start_run({"paths": ["x"], "days": "all"})
    store.finish_run(run, "ok", {"read": 3})


if __name__ == "__main__":
    main(sys.argv[1])
