"""Sales from the shop's order export, joined to the chats by buyer and time (询单转化).

`read_orders(paths)` reads CSV (UTF-8, GBK/GB18030 or UTF-16) and XLSX order exports with a
header row; the columns are found by their usual names on the four platforms (`COLUMNS`). A row
that cannot be read is set aside with file, line and reason; the rest are kept.

`sales(chats, orders, tz)` measures, per agent, over the pre-sale chats of the month:

- 询单人数: buyers who asked before buying — one per buyer and day (a buyer asking on two days
  counts twice, as the platforms' daily figures add up).
- 询单→当日/次日/最终付款转化率: of those, the buyers who paid for an order placed after the chat
  began — the same day / by the end of the next day / within `final_days` days — ÷ 询单人数.
  An order is credited to the buyer's last pre-sale chat before it was placed (its agent); an
  order after only after-sale chats is neither an inquiry's nor silent.
- 客单价 = paid amount ÷ paying buyers; 客件数 = items ÷ paying buyers (the orders credited).
- 答问比 = the agent's human messages ÷ the buyer's messages in the agent's chats.
- 静默下单: paid orders of buyers who had no chat with the shop in the `final_days` before the order
  (the shop's, not an agent's).
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import pandas as pd

from grader.errors import GraderError
from grader.transcript.encoding import decode_bytes
from grader.transcript.model import SHANGHAI, Transcript
from grader.transcript.parsing import BadTime, parse_time
from grader.transcript.reader_types import SetAside

# Field -> the header names of the platforms' order exports (compared without spaces, lower case).
COLUMNS = {
    "order_id": ("订单编号", "订单号", "主订单编号", "子订单编号", "order_id", "order_no"),
    "buyer": ("买家会员名", "买家账号", "买家昵称", "下单帐号", "下单账号", "客户账号", "用户账号", "买家", "buyer",
              "buyer_nick", "customer"),
    "order_time": ("订单创建时间", "下单时间", "订单提交时间", "创建时间", "拍下时间", "order_time", "created_at"),
    "paid_time": ("订单付款时间", "付款时间", "支付时间", "付款确认时间", "支付完成时间", "成交时间", "订单成交时间",
                  "paid_time", "paid_at"),
    "amount": ("买家实际支付金额", "实付金额", "用户实付金额", "订单实付金额", "实收款", "应付金额", "订单应付金额",
               "订单金额", "金额", "amount", "paid_amount"),
    "items": ("宝贝总数量", "商品数量", "商品总数量", "购买数量", "数量", "件数", "items", "quantity"),
    "shop": ("店铺名称", "店铺", "shop"),
}
REQUIRED = ("buyer", "order_time", "amount")
LABELS = {"buyer": "买家账号", "order_time": "下单时间", "amount": "实付金额"}
_ALIASES = {name.lower(): f for f, names in COLUMNS.items() for name in names}


@dataclass(frozen=True)
class Order:
    """One order: who, when placed and paid (None: not paid), how much (元) and how many items."""

    buyer: str
    order_time: datetime
    paid_time: datetime | None
    amount: float
    items: int
    order_id: str = ""
    shop: str = ""
    source: str = ""  # "file:line"


@dataclass
class OrderFile:
    """What `read_orders` read: the orders, the rows set aside, and the rows seen (they reconcile)."""

    orders: list[Order] = field(default_factory=list)
    set_aside: list[SetAside] = field(default_factory=list)
    rows: int = 0
    files: list[str] = field(default_factory=list)


class OrderFileError(GraderError):
    """An order file that cannot be used at all (no header with the needed columns); Chinese message."""


def read_orders(paths: list[str | Path]) -> OrderFile:
    """Every order of the files; `OrderFileError` when a file has no usable header row."""
    out = OrderFile()
    for path in map(Path, paths):
        out.files.append(str(path))
        rows = _xlsx_rows(path) if path.suffix.lower() in (".xlsx", ".xlsm") else _csv_rows(path)
        header_line, header = next(rows, (0, []))
        fields = {_ALIASES.get(str(c or "").strip().lstrip("\ufeff").replace(" ", "").lower()): i
                  for i, c in reversed(list(enumerate(header)))}
        fields.pop(None, None)
        missing = [LABELS[f] for f in REQUIRED if f not in fields]
        if missing:
            raise OrderFileError(f"订单文件 {path}：第 {header_line} 行表头缺少 {'、'.join(missing)} 列"
                                 f"（可用的列名见 docs/month.md“销售（订单导出）”）")
        for line, cells in rows:
            if not any(str(c or "").strip() for c in cells):
                continue
            out.rows += 1
            try:
                out.orders.append(_order(cells, fields, f"{path.name}:{line}"))
            except (BadTime, ValueError) as exc:
                out.set_aside.append(SetAside(file=str(path), line=line, reason=f"订单行无法读取：{exc}"))
    return out


def _csv_rows(path: Path):
    try:
        text, _ = decode_bytes(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise OrderFileError(f"订单文件 {path} 无法读取：{exc}") from None
    yield from enumerate(csv.reader(io.StringIO(text, newline="")), 1)


def _xlsx_rows(path: Path):
    import openpyxl  # only when an Excel file is read

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # a damaged or encrypted workbook: openpyxl raises many kinds
        raise OrderFileError(f"订单文件 {path} 无法打开：{exc}") from None
    try:
        yield from enumerate((list(r) for r in book.worksheets[0].iter_rows(values_only=True)), 1)
    finally:
        book.close()


def _cell(cells: list, fields: dict, name: str):
    i = fields.get(name)
    return cells[i] if i is not None and i < len(cells) else None


def _order(cells: list, fields: dict, source: str) -> Order:
    buyer = str(_cell(cells, fields, "buyer") or "").strip()
    if not buyer:
        raise ValueError("没有买家账号")
    paid = _cell(cells, fields, "paid_time")
    amount = str(_cell(cells, fields, "amount") or "").replace(",", "").replace("¥", "").replace("￥", "").strip()
    try:
        value = float(amount)
    except ValueError:
        raise ValueError(f"金额不是数字：{amount!r}") from None
    items = str(_cell(cells, fields, "items") or "1").strip()
    if not items.isdigit():
        raise ValueError(f"商品数量不是整数：{items!r}")
    return Order(buyer=buyer, order_time=parse_time(_cell(cells, fields, "order_time")),
                 paid_time=parse_time(paid) if paid not in (None, "", "-", "--") else None,
                 amount=value, items=int(items), order_id=str(_cell(cells, fields, "order_id") or "").strip(),
                 shop=str(_cell(cells, fields, "shop") or "").strip(), source=source)


@dataclass
class Inquiry:
    """One buyer's day of pre-sale chats with an agent, and the paid orders credited to it."""

    agent: str
    buyer: str
    day: date
    first_chat: str
    orders: list[Order] = field(default_factory=list)
    tz: object = SHANGHAI  # the days of the report

    @property
    def paid(self) -> str:
        """When the buyer first paid: "当日", "次日", "最终", or "" (no paid order)."""
        if not self.orders:
            return ""
        return _paid_when(self.day, min(o.paid_time for o in self.orders).astimezone(self.tz).date())

    @property
    def amount(self) -> float:
        return sum(o.amount for o in self.orders)

    @property
    def items(self) -> int:
        return sum(o.items for o in self.orders)


@dataclass
class Sales:
    """The month's sales: per agent figures, the inquiries behind them, the silent orders."""

    inquiries: list[Inquiry]
    ratios: dict[str, tuple[int, int]]  # agent -> (human agent messages, buyer messages)
    silent: list[Order]
    orders: OrderFile | None = None

    def frame(self) -> pd.DataFrame:
        """One row per agent (rates as percentages, 1 decimal; 元 to 2 decimals), and the silent orders."""
        rows = []
        for agent in sorted({i.agent for i in self.inquiries} | set(self.ratios)):
            mine = [i for i in self.inquiries if i.agent == agent]
            paid = [i for i in mine if i.paid]
            answers, asks = self.ratios.get(agent, (0, 0))
            amount = round(sum(i.amount for i in paid), 2)
            rows.append({
                "客服": agent, "询单人数": len(mine), "付款人数": len(paid),
                "询单→当日付款转化率(%)": _pct(mine, {"当日"}), "询单→次日付款转化率(%)": _pct(mine, {"当日", "次日"}),
                "询单→最终付款转化率(%)": _pct(mine, {"当日", "次日", "最终"}), "付款金额(元)": amount,
                "客单价(元)": round(amount / len(paid), 2) if paid else None,
                "客件数": round(sum(i.items for i in paid) / len(paid), 2) if paid else None,
                "答问比": round(answers / asks, 2) if asks else None})
        rows.append({"客服": "（静默下单：没有咨询直接付款）", "付款人数": len({o.buyer for o in self.silent}),
                     "付款金额(元)": round(sum(o.amount for o in self.silent), 2)})
        frame = pd.DataFrame(rows)
        frame["询单人数"] = frame["询单人数"].astype("Int64")  # the silent line has none
        return frame

    def drill_frame(self, tz=SHANGHAI) -> pd.DataFrame:
        """One row per inquiry: the buyer, the day, the chat, and the orders credited to it."""
        return pd.DataFrame([{
            "客服": i.agent, "买家": i.buyer, "询单日期": i.day.isoformat(), "会话ID": i.first_chat,
            "付款": i.paid or "未付款", "订单": "、".join(o.order_id or o.source for o in i.orders),
            "首次付款时间": min(o.paid_time for o in i.orders).astimezone(tz).strftime("%Y-%m-%d %H:%M:%S")
            if i.orders else "", "金额(元)": round(i.amount, 2) if i.orders else None,
            "件数": i.items if i.orders else None} for i in self.inquiries])


def _pct(inquiries: list[Inquiry], kinds: set[str]) -> float | None:
    return round(100 * sum(i.paid in kinds for i in inquiries) / len(inquiries), 1) if inquiries else None


def sales(chats: list[tuple[Transcript, str, str]], orders: OrderFile, final_days: int = 3,
          period: tuple[date, date] | None = None, tz=SHANGHAI) -> Sales:
    """The month's sales. `chats`: (transcript or its stored Timeline, credited agent, scenario) of the month's chats;
    `period`: the month's first and last day (silent orders are those placed in it; None: all)."""
    by_buyer: dict[str, list[tuple[Transcript, str, str]]] = {}
    ratios: dict[str, tuple[int, int]] = {}
    inquiries: dict[tuple, Inquiry] = {}
    for t, agent, scenario in sorted(chats, key=lambda c: (c[0].started_at is None, c[0].started_at or 0)):
        a, b = ratios.get(agent, (0, 0))
        ratios[agent] = (a + sum(m.is_human_agent for m in t.messages), b + sum(m.role == "customer" for m in t.messages))
        if t.customer and t.started_at:
            by_buyer.setdefault(t.customer, []).append((t, agent, scenario))
            key = (agent, t.customer, t.started_at.astimezone(tz).date())
            if scenario == "presale" and key not in inquiries:
                inquiries[key] = Inquiry(agent, t.customer, key[2], t.id, tz=tz)
    window = timedelta(days=final_days)
    silent = []
    for order in (o for o in orders.orders if o.paid_time):
        before = [c for c in by_buyer.get(order.buyer, ()) if (not order.shop or (c[0].shop or "") == order.shop)
                  and order.order_time - window <= c[0].started_at <= order.order_time]
        if not before:
            if period is None or period[0] <= order.order_time.astimezone(tz).date() <= period[1]:
                silent.append(order)
            continue
        presale = [c for c in before if c[2] == "presale"]
        if presale:  # the buyer's last pre-sale chat before the order: its agent sold it
            t, agent, _ = presale[-1]
            inquiries[(agent, order.buyer, t.started_at.astimezone(tz).date())].orders.append(order)
    return Sales(sorted(inquiries.values(), key=lambda i: (i.agent, i.day, i.buyer)), ratios, silent, orders)


def _paid_when(day: date, paid: date) -> str:
    return "当日" if paid == day else "次日" if paid == day + timedelta(days=1) else "最终"
