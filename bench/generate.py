"""Realistic synthetic chat exports for the benchmark, reproducible from a seed.

    python -m bench.generate --chats 10000 --out bench/data/10k --seed 7

Presale and aftersale chats of 6–40 messages (auto-replies, transfers, order notices, customers
who go quiet, agents who are slow, promises, polite and impolite wording), written as a mix of
the export formats: canonical JSONL (~50% of chats), Qianniu text (~30%) and CSV (~20%).
Files hold at most `--per-file` chats, like per-shop daily exports; each file is generated from
(seed, file number) alone, so files are written in parallel and the same seed gives the same bytes.

Texts are composed, not picked whole: an agent message joins 1–4 phrases (with numbers, sizes,
prices and products filled in afresh), a customer message 1–2, with varied openers and endings.
That gives what real exports show (JDDC sample: agent messages ~28 characters on average, about
18 % of agent texts repeated verbatim), so no part of grading can profit from a handful of texts
recurring, as it could from whole canned lines.
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import os
import random
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path

DAY = "2026-11-22"
GENERATOR_VERSION = 2  # bump when the chats change: bench.run regenerates older data
SHOPS = ["小美家居旗舰店", "森屿女装", "极客数码专营店", "宝宝乐母婴", "山野户外", "花间美妆", "老街茶铺", "简木家具"]
AGENT_NAMES = ["小美", "小王", "阿琳", "小杨", "晓晓", "大鹏", "丽丽", "小周"]
PRODUCTS = ["这款床垫", "这件外套", "这个耳机", "这款奶粉", "这双登山鞋", "这款面霜", "这个茶叶礼盒", "这张书桌"]

GREET = ["您好，很高兴为您服务", "亲，在的呢", "您好亲，请问有什么可以帮您", "你好", "在的亲，您请说", "亲，您好~"]
CLOSE = ["还有什么可以帮您的吗", "祝您生活愉快~", "感谢您的支持，有问题随时找我哦", "好的亲，那先这样，有事随时联系",
         "不客气的亲", "嗯嗯"]
PRE_CUSTOMER = ["在吗", "{p}有货吗", "{p}有什么优惠吗", "身高{h}体重{w}穿什么码", "{p}是什么材质的", "什么时候发货",
                "可以便宜点吗", "能包邮吗", "有没有赠品", "这个和那款有什么区别", "质量怎么样", "可以退货吗",
                "我再看看", "那我拍了", "好的谢谢", "有别的颜色吗", "多久能到", "支持七天无理由吗", "[图片]",
                "https://item.taobao.com/item.htm?id=6{n}"]
PRE_AGENT = ["有的亲，现货的呢", "现在满{a}减{b}哦，还可以领券", "您的身高体重建议拍{size}码", "面料是纯棉的，透气吸汗",
             "今天{hh}点前下单今天发货的哦", "我们是正品保证，支持七天无理由退换", "这款销量很好，好评率很高的",
             "请问您平时穿多大的码呢？", "是自己穿还是送人呢？", "喜欢可以先拍下哦，库存不多了",
             "签收前请检查一下外包装，有破损可以拒收", "这个我不太清楚，您看下详情页吧", "包邮的亲",
             "送运费险的哦", "颜色有黑白灰三种", "一般{d}天能到", "{p}现在到手价{a}元", "你自己看详情页", "亲还在吗？",
             "这款是今年的新款，版型偏小，建议拍大一码", "我帮您查一下，稍等哦"]
AFTER_CUSTOMER = ["我收到的{p}坏了", "快递一直不动，怎么回事", "我要退货", "东西少发了一个", "申请退款怎么还没处理",
                  "收到发现有质量问题", "物流显示签收了但我没收到", "能换个新的吗", "[图片]", "你们怎么回事啊",
                  "什么时候能退款", "订单号是{n}", "好的", "那你们快点处理", "到底谁负责啊", "？？？"]
AFTER_AGENT = ["非常抱歉给您带来不便", "麻烦您提供一下订单号", "请您拍一下照片给我看看", "具体是哪里坏了呢？",
               "我这边马上为您申请售后", "退款会原路返回，1-{d}个工作日到账", "明天下午{hh}点前给您回复", "我帮您联系快递核实",
               "这个不归我们管，你自己找快递", "已经为您补发了，单号稍后发您", "您别着急，我来帮您处理",
               "我们会尽快处理的", "今天之内给您答复", "可以的，支持换新", "稍等，我帮您查一下物流",
               "您收到后有问题随时联系我们", "退货地址已经发您了，寄回后记得填单号"]
NOTICES = ["客户已下单，订单号 {n}，付款成功", "当前用户来自 手机淘宝", "原因：【客户咨询售后】"]
AGENT_OPENERS = ["", "", "", "亲，", "您好，", "嗯嗯，", "好的，", "亲亲，", "是的，", "明白，"]
AGENT_ENDINGS = ["", "", "哦", "~", "呢", "的呢", "哈", "。", "！"]
CUSTOMER_OPENERS = ["", "", "", "那个", "请问", "我想问下", "你好，", "老板，", "哎，", "还有，"]
CUSTOMER_ENDINGS = ["", "", "？", "啊", "呀", "。", "吧", "哈"]
JOINERS = ["，", "。", "~", "！", "，另外"]
AUTO = ["【自动回复】您好，欢迎光临{s}，有什么可以帮您？", "【自动回复】亲，客服稍后就到，请稍等~"]


def make_chat(rng: random.Random, number: int, start: datetime) -> dict:
    """One chat as canonical-JSONL data (times as 'YYYY-MM-DD HH:MM:SS')."""
    shop = rng.choice(SHOPS)
    agent = f"{shop}:{rng.choice(AGENT_NAMES)}"
    customer = f"tb{rng.randrange(10**7, 10**8)}"
    aftersale = rng.random() < 0.4
    product = rng.choice(PRODUCTS)
    n_messages = rng.randint(6, 40)
    customer_lines, agent_lines = (AFTER_CUSTOMER, AFTER_AGENT) if aftersale else (PRE_CUSTOMER, PRE_AGENT)
    t = start
    msgs: list[tuple[datetime, str, str, str]] = []  # (time, sender, role, text)

    def fill() -> dict:
        a = rng.randrange(99, 1000)
        return {"p": product, "n": rng.randrange(10**15, 10**16), "s": shop, "h": rng.randrange(150, 190),
                "w": rng.randrange(40, 95), "size": rng.choice("SMLX") + rng.choice(["", "L", "XL"]),
                "a": a, "b": a // rng.choice([5, 10, 20]), "d": rng.randrange(2, 8), "hh": rng.randrange(9, 23)}

    def compose(lines: list[str], sizes: list[int], weights: list[int], openers, endings) -> str:
        parts = rng.sample(lines, rng.choices(sizes, weights)[0])
        text = parts[0]
        for part in parts[1:]:
            text += rng.choice(JOINERS) + part
        ending = rng.choice(endings)
        return rng.choice(openers) + text + ("" if text[-1] in "？！。~" else ending)

    def add(sender, role, text, wait):
        nonlocal t
        t = t + timedelta(seconds=wait)
        msgs.append((t, sender, role, text.format(**fill())))

    if aftersale and rng.random() < 0.5:
        add("system", "system", rng.choice(NOTICES[:1]), 0)
    add(customer, "customer", rng.choice(customer_lines), 1)
    if rng.random() < 0.5:
        add(agent, "agent", rng.choice(AUTO), rng.randint(1, 3))
    add(agent, "agent", rng.choice(GREET), rng.choice([5, 12, 25, 45, 90, 240]))
    while len(msgs) < n_messages - 1:
        r = rng.random()
        if r < 0.42:
            text = compose(customer_lines, [1, 2], [70, 30], CUSTOMER_OPENERS, CUSTOMER_ENDINGS)
            add(customer, "customer", text, rng.randint(5, 120))
        elif r < 0.97:
            text = compose(agent_lines, [1, 2, 3, 4], [25, 35, 28, 12], AGENT_OPENERS, AGENT_ENDINGS)
            add(agent, "agent", text, rng.choice([4, 9, 20, 35, 60, 150, 400]))
        else:
            add("system", "system", "由 服务助手 转交给 " + f"{shop}:{rng.choice(AGENT_NAMES)}", 2)
    add(agent, "agent", rng.choice(CLOSE), rng.randint(5, 60))
    return {"id": f"bench-{number:08d}", "platform": "taobao", "shop": shop, "agent": agent,
            "customer": customer, "aftersale": aftersale, "messages": msgs}


def to_jsonl(chats: list[dict]) -> str:
    lines = []
    for c in chats:
        data = {k: c[k] for k in ("id", "platform", "shop", "agent", "customer")}
        data["messages"] = [{"time": f"{t:%Y-%m-%d %H:%M:%S}", "sender": s, "role": r, "text": x,
                             **({"auto_reply": True} if x.startswith("【自动回复】") else {})}
                            for t, s, r, x in c["messages"]]
        for m in data["messages"]:
            if m.get("auto_reply"):
                m["text"] = m["text"].removeprefix("【自动回复】")
        lines.append(json.dumps(data, ensure_ascii=False))
    return "\n".join(lines) + "\n"


def to_qianniu(chats: list[dict]) -> str:
    out = []
    for c in chats:
        for t, s, r, x in c["messages"]:
            if r == "system":
                out.append(x)
                continue
            out.append(f"{s} {t:%Y-%m-%d %H:%M:%S}")
            out.append(x)
            if r == "agent":
                out.append("已读")
        out.append("-" * 32)
    return "\n".join(out) + "\n"


def to_csv(chats: list[dict]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["会话ID", "时间", "发送人", "角色", "内容", "自动回复", "客服", "店铺", "客户", "平台"])
    for c in chats:
        for t, s, r, x in c["messages"]:
            auto = x.startswith("【自动回复】")
            w.writerow([c["id"], f"{t:%Y-%m-%d %H:%M:%S}", s, {"customer": "客户", "agent": "客服", "system": "系统"}[r],
                        x.removeprefix("【自动回复】"), "是" if auto else "否", c["agent"], c["shop"],
                        c["customer"], "淘宝"])
    return buf.getvalue()


WRITERS = {"jsonl": (to_jsonl, ".jsonl"), "qianniu": (to_qianniu, ".txt"), "csv": (to_csv, ".csv")}


def file_plan(chats: int, per_file: int) -> list[tuple[int, int, str]]:
    """(file number, first chat number, chats in it, format) for every file, in a fixed order."""
    plan, first, n = [], 0, 0
    while first < chats:
        fmt = ("jsonl", "qianniu", "csv", "jsonl", "qianniu", "jsonl", "csv", "jsonl", "qianniu", "jsonl")[n % 10]
        size = min(per_file, chats - first)
        plan.append((n, first, size, fmt))
        first += size
        n += 1
    return plan


def write_file(seed: int, out: str, n: int, first: int, size: int, fmt: str) -> int:
    rng = random.Random(f"{seed}:{n}")
    base = datetime.fromisoformat(f"{DAY} 00:00:00")
    # Chats of one file start in time order through the day (as exports list them); a few just
    # before midnight of the previous day show up too and are out of the day's range.
    starts = sorted(rng.uniform(-600, 86400 - 3600) for _ in range(size))
    chats = [make_chat(rng, first + i, base + timedelta(seconds=s)) for i, s in enumerate(starts)]
    render, ext = WRITERS[fmt]
    Path(out, f"export-{n:05d}{ext}").write_text(render(chats), encoding="utf-8")
    return size


def generate(chats: int, out: str | Path, seed: int = 7, per_file: int = 1000, jobs: int | None = None) -> Path:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    plan = file_plan(chats, per_file)
    with ProcessPoolExecutor(jobs or os.cpu_count()) as pool:
        done = sum(pool.map(write_file, *zip(*[(seed, str(out), *p) for p in plan]), chunksize=4))
    assert done == chats
    # hidden file: the reader skips it
    (out / ".manifest.json").write_text(json.dumps({"chats": chats, "seed": seed, "per_file": per_file,
                                                   "generator": GENERATOR_VERSION,
                                                   "files": len(plan), "day": DAY}), encoding="utf-8")
    return out


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--chats", type=int, default=10_000)
    p.add_argument("--out", default="bench/data/10k")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--per-file", type=int, default=1000)
    a = p.parse_args(argv)
    print(generate(a.chats, a.out, a.seed, a.per_file))


if __name__ == "__main__":
    main()
