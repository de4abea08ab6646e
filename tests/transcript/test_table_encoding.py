"""CSV/XLSX tables, encodings, and sniffing the format by content."""
import codecs

import openpyxl
import pytest

from grader.transcript import SetAside, Transcript, read_file
from grader.transcript.encoding import detect_encoding

EN = """transcript_id,time,sender,role,text,auto_reply,shop,platform
jd-1,2026-11-22 10:00:01,jd_buyer,customer,这个有白色吗,,京东小店,jd
jd-1,2026-11-22 10:00:02,京东小店:阿星,agent,您好，欢迎光临,true,,
jd-1,2026-11-22 10:00:15,京东小店:阿星,agent,"有的，白色M码有货
需要给您留一件吗？",0,,
jd-2,2026-11-22 11:00:01,pdd_u1,customer,发货了吗,,,
jd-1,2026-11-22 10:00:40,system,system,客户已下单，订单号 1122334455，付款成功,,,
jd-2,2026-11-22 11:00:30,京东小店:阿星,agent,今天发,,,
"""

ZH = """会话ID,时间,发送人,角色(客户/客服/系统),内容,自动回复(是/否)
dy-1,2026/11/22 10:00:01,抖音用户A,客户,退款怎么申请,否
dy-1,2026/11/22 10:00:03,抖店:小雨,客服,亲，您好！,是
dy-1,2026/11/22 10:00:20,抖店:小雨,客服,请您提供一下订单号,否
"""


def read_bytes(tmp_path, data: bytes, name: str):
    path = tmp_path / name
    path.write_bytes(data)
    return read_file(path)


def test_english_csv(tmp_path):
    items = read_bytes(tmp_path, EN.encode("utf-8"), "export.csv")
    assert [type(i) for i in items] == [Transcript, Transcript]
    t1, t2 = items
    assert (t1.id, t1.shop, t1.platform) == ("jd-1", "京东小店", "jd")
    assert [m.role for m in t1.messages] == ["customer", "agent", "agent", "system"]
    assert [m.auto_reply for m in t1.messages] == [False, True, False, False]
    assert t1.messages[2].text == "有的，白色M码有货\n需要给您留一件吗？"
    assert t1.messages[3].kind == "order"
    assert [m.source_line for m in t1.messages] == [2, 3, 4, 7]
    assert t2.id == "jd-2" and len(t2.messages) == 2


def test_chinese_headers_and_role_words(tmp_path):
    [t] = read_bytes(tmp_path, ZH.encode("utf-8-sig"), "店铺导出.csv")
    assert [(m.role, m.auto_reply) for m in t.messages] == [
        ("customer", False), ("agent", True), ("agent", False)]
    assert t.customer == "抖音用户A" and t.agent == "抖店:小雨"


def test_tab_separated(tmp_path):
    data = ZH.replace(",", "\t").encode("utf-8")
    [t] = read_bytes(tmp_path, data, "export.tsv")
    assert len(t.messages) == 3


def test_xlsx(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    for row in [line.split(",") for line in ZH.strip().splitlines()]:
        sheet.append(row)
    sheet.append(["dy-2", "2026-11-22 12:00:00", "抖音用户B", "买家", "在吗", 0])
    path = tmp_path / "导出.xlsx"
    book.save(path)
    items = read_file(path)
    assert [t.id for t in items] == ["dy-1", "dy-2"]
    assert items[1].messages[0].source_line == 5


@pytest.mark.parametrize("bad_row, reason_part", [
    ("dy-1,昨天,抖音用户A,客户,在吗,否", "时间无法解析"),
    ("dy-1,,抖音用户A,客户,在吗,否", "没有时间"),
    ("dy-1,2026-11-22 10:01:00,抖音用户A,老板,在吗,否", "角色看不懂"),
    ("dy-1,2026-11-22 10:01:00,抖音用户A,客户,在吗,也许", "自动回复"),
])
def test_bad_row_sets_its_chat_aside(tmp_path, bad_row, reason_part):
    data = (ZH + bad_row + "\ndy-9,2026-11-22 11:00:00,u9,客户,好的,否\n").encode("utf-8")
    items = read_bytes(tmp_path, data, "x.csv")
    assert isinstance(items[0], SetAside) and items[0].transcript_id == "dy-1"
    assert items[0].line == 5 and reason_part in items[0].reason
    assert isinstance(items[1], Transcript) and items[1].id == "dy-9"


def test_missing_required_column(tmp_path):
    [aside] = read_bytes(tmp_path, b"transcript_id,sender,role,text\nx,tb1,customer,hi\n", "x.csv")
    assert aside.line == 1 and "time" in aside.reason and "缺少必需的列" in aside.reason


SAMPLE = "tb1 2026-11-22 10:00:09\n在吗？这款有货吗\n小店:小美 2026-11-22 10:00:12\n您好，有货的亲\n"


@pytest.mark.parametrize("encoding, raw", [
    ("utf-8", SAMPLE.encode("utf-8")),
    ("utf-8-sig", codecs.BOM_UTF8 + SAMPLE.encode("utf-8")),
    ("gb18030", SAMPLE.encode("gbk")),
    ("utf-16", codecs.BOM_UTF16_LE + SAMPLE.encode("utf-16-le")),
    ("utf-16", codecs.BOM_UTF16_BE + SAMPLE.encode("utf-16-be")),
    ("utf-16-le", SAMPLE.encode("utf-16-le")),
    ("utf-16-be", SAMPLE.encode("utf-16-be")),
    ("utf-16", SAMPLE.replace("\n", "\r\n").encode("utf-16")),
])
def test_encodings(tmp_path, encoding, raw):
    assert detect_encoding(raw) == encoding
    [t] = read_bytes(tmp_path, raw, "chat.txt")
    assert [m.text for m in t.messages] == ["在吗？这款有货吗", "您好，有货的亲"]
    assert t.messages[0].sender == "tb1"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "utf-16"])
def test_encodings_for_jsonl_and_csv(tmp_path, encoding):
    jsonl = '{"id": "a", "customer": "tb1", "messages": [{"time": "2026-11-22 10:00:00", "sender": "tb1", "text": "您好"}]}\n'
    [t] = read_bytes(tmp_path, jsonl.encode(encoding), "a.jsonl")
    assert t.messages[0].text == "您好"
    items = read_bytes(tmp_path, ZH.encode(encoding), "b.csv")
    assert items[0].messages[0].text == "退款怎么申请"


@pytest.mark.parametrize("name, content, expected", [
    ("chats.txt", '{"id": "a", "customer": "tb1", "messages": [{"time": "2026-11-22 10:00:00", "sender": "tb1", "text": "hi"}]}\n', "a"),
    ("qianniu.log", SAMPLE, None),
    ("export", ZH, "dy-1"),
    ("mislabelled.csv", SAMPLE, None),
    ("mislabelled.jsonl", EN, "jd-1"),
])
def test_format_is_sniffed_from_content(tmp_path, name, content, expected):
    items = read_bytes(tmp_path, content.encode("utf-8"), name)
    assert items and all(isinstance(i, Transcript) for i in items)
    if expected:
        assert items[0].id == expected
    else:
        assert items[0].id.startswith("qn-")


def test_line_with_undecodable_bytes_is_set_aside_rest_read(tmp_path):
    good = '{"id": "a", "customer": "tb1", "messages": [{"time": "2026-11-22 10:00:00", "sender": "tb1", "text": "您好"}]}\n'
    # The encoding is guessed from the head (64 KB); a bad line further down is set aside alone.
    head = good.encode() * 1000
    data = head + b'{"id": "b", "text": "\xff\xfe\x80"}\n' + good.replace('"a"', '"c"').encode()
    items = read_bytes(tmp_path, data, "mixed.jsonl")
    assert len(items) == 1002
    assert [type(i).__name__ for i in items[-3:]] == ["Transcript", "SetAside", "Transcript"]
    assert items[-2].line == 1001 and "无法解码" in items[-2].reason


def test_shop_taken_from_sub_account_when_no_shop_column(tmp_path):
    [t] = read_bytes(tmp_path, ZH.encode("utf-8"), "zh.csv")
    assert t.shop == "抖店" and t.platform == "unknown"


def test_xlsx_serial_date_numbers(tmp_path):
    book = openpyxl.Workbook()
    book.active.append(["transcript_id", "time", "sender", "role", "text"])
    book.active.append(["x1", 46348.4166782407, "tb1", "customer", "在吗"])  # 2026-11-22 10:00:01
    path = tmp_path / "serial.xlsx"
    book.save(path)
    [t] = read_file(path)
    assert t.messages[0].time.strftime("%Y-%m-%d %H:%M:%S") == "2026-11-22 10:00:01"


@pytest.mark.parametrize("text, times, resolution", [
    pytest.param("会话ID,日期,时间,发送人,角色,内容\nt1,2023-03-08,20:11:05,tb1,客户,在吗\n"
                 "t1,2023-03-08,20:11:12,店:阿静,客服,在的\n", ["20:11:05", "20:11:12"], 1, id="date-and-time-columns"),
    pytest.param("会话ID,日期,时间,发送人,角色,内容\nt1,2023/3/8,9:11,tb1,客户,在吗\n"
                 "t1,2023/3/8,9:12,店:阿静,客服,在的\n", ["09:11:00", "09:12:00"], 60, id="split-and-minute-only"),
    pytest.param("会话ID,日期,时间,发送人,角色,内容\nt1,2023-03-08,2023-03-08 20:11:05,tb1,客户,在吗\n"
                 "t1,2023-03-08,2023-03-08 20:11:12,店:阿静,客服,在的\n", ["20:11:05", "20:11:12"], 1,
                 id="time-column-already-holds-the-date"),
    pytest.param("会话ID,时间,发送人,角色,内容\nt1,2023/1/5 9:03,tb1,客户,在吗\nt1,2023/1/5 9:03,店:阿静,客服,在的\n",
                 ["09:03:00", "09:03:00"], 60, id="excel-resave-without-seconds"),
    pytest.param("transcript_id,time,sender,role,text\nt1,2023-01-05T09:03,tb1,customer,hi\n"
                 "t1,2023-01-05T09:03:30,s:a,agent,hello\n", ["09:03:00", "09:03:30"], 60, id="iso-without-seconds"),
])
def test_date_time_columns_and_minute_precision(tmp_path, text, times, resolution):
    [t] = read_bytes(tmp_path, text.encode("utf-8"), "t.csv")
    assert isinstance(t, Transcript), t
    assert [m.time.strftime("%H:%M:%S") for m in t.messages] == times
    assert t.time_resolution == resolution


def test_date_and_time_cells_of_a_workbook_are_combined(tmp_path):
    from datetime import date, time
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["会话ID", "日期", "时间", "发送人", "角色", "内容"])
    sheet.append(["x1", date(2023, 3, 8), time(20, 11, 5), "tb1", "客户", "在吗"])
    sheet.append(["x1", date(2023, 3, 8), time(20, 11, 12), "店:阿静", "客服", "在的"])
    book.save(tmp_path / "t.xlsx")
    [t] = read_file(tmp_path / "t.xlsx")
    assert [m.time.strftime("%Y-%m-%d %H:%M:%S") for m in t.messages] == ["2023-03-08 20:11:05", "2023-03-08 20:11:12"]
