"""Chat: word boundaries from segmenting only the runs around a span equal whole-message jieba."""
import pytest

from grader.detectors.chat import Chat, words
from grader.transcript.model import Message, Transcript

TEXTS = [
    "申请退款请稍等，亲，我这边帮您查一下",
    "您好！请问您平时穿多大的码呢？建议拍XL码~",
    "亲亲 请 稍等\r\n马上给您处理，满300减30哦",
    "谢谢你们家的客服，行吧，送的赠品也收到了",
    "ok的亲，iPhone15也支持的#E-s01",
    "",
]


def chat_of(text: str) -> Chat:
    return Chat(Transcript(id="t", platform="taobao", messages=[
        Message(index=0, time=None, sender="a", role="agent", text=text)]))


@pytest.mark.parametrize("text", TEXTS)
def test_run_by_run_boundaries_equal_whole_message_segmentation(text):
    whole = {0} | {end for _, _, end in words(text)}
    chat = chat_of(text)
    for start in range(len(text) + 1):
        for end in range(start + 1, len(text) + 1):
            assert chat.is_words(0, start, end) == (start in whole and end in whole), (text, start, end)


@pytest.mark.parametrize("text, span, whole_words", [
    ("申请退款", (1, 2), False),      # 请 inside 申请
    ("请您稍等", (0, 1), True),
    ("请稍等", (0, 1), False),       # jieba reads 请稍等 as one word
    ("亲，在的", (0, 1), True),       # a run of one character is one word
    ("亲自去", (0, 1), False),        # 亲 inside 亲自
    ("a\r\nb", (2, 3), False),      # \r\n is one token
])
def test_named_cases(text, span, whole_words):
    assert chat_of(text).is_words(0, *span) is whole_words


def test_remembered_runs_are_bounded_and_answers_unchanged(monkeypatch):
    from grader.detectors import chat as chat_module
    monkeypatch.setattr(chat_module, "_WORD_ENDS", {})
    monkeypatch.setattr(chat_module, "WORD_ENDS_KEPT", 2)
    for _ in range(2):  # the second pass answers from what was remembered (or recomputed after a clear)
        test_run_by_run_boundaries_equal_whole_message_segmentation(TEXTS[0])
        test_run_by_run_boundaries_equal_whole_message_segmentation(TEXTS[1])
        assert len(chat_module._WORD_ENDS) <= 2
