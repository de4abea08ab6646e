"""service_attitude: level index 3 积极解决 / 2 配合解决 / 1 问答式 / 0 推脱.

Cues are data: ``lexicons/deflection.txt`` (不归我们管, 你自己找快递, 跟我们没关系 …) and
``lexicons/proactive.txt`` (tag=initiative: 我帮您申请, 给您补发, 帮您联系快递, 第一时间通知您,
我会跟进; tag=cooperate: 好的/可以的/已为您修改/正在为您处理). Only human agent messages count.

Rule:
* deflection and no initiative → 0 (推脱), confidence 0.65, flagged for review;
  deflection and initiative both → 1, flagged (a close call: the supervisor reads the chat);
* an initiative cue the customer did not ask for → 3 (积极). "Did not ask": the action word of
  the cue (申请/补发/联系/退款 …) does not appear in the customer's message just before it. An
  initiative the customer asked for ("帮我申请退款" → "好的帮您申请") is cooperation;
* a cooperation cue, or an asked-for initiative → 2 (配合);
* otherwise the agent only answered → 1 (问答式); 0.55 confidence when the replies are short.
No human agent message with words → value None (rubric fallback, review).
"""
from __future__ import annotations

import re

from grader.detectors.base import Detector, register
from grader.detectors.chat import Chat, has_words
from grader.detectors.findings import Measurement

ITEM = "service_attitude"
# The action of an initiative cue, to check whether the customer asked for it.
ACTION = re.compile(r"申请|提交|补发|重新发|重发|换新|换|退款|退|联系|催|加急|登记|反馈|备注|核实|查|安排|处理|跟进"
                    r"|升级|报备|补偿|优惠|改价|减|留|修改|取消|通知|赔|返现|送")
LABELS = {3: "积极解决", 2: "配合解决", 1: "问答式解决", 0: "推脱"}


@register
class ServiceAttitudeDetector(Detector):
    name = "service_attitude"
    version = "2"
    items = (ITEM,)
    lexicons = ("deflection", "proactive")

    def detect(self, chat: Chat) -> list[Measurement]:
        humans = [m for m in chat.human_agent if has_words(m.text)]
        if not humans:
            return [Measurement(item=ITEM, value=None, confidence=0.0, needs_review=True,
                                reason="客服没有人工文字回复，无法评价服务态度")]
        defl, pro = self.lex["deflection"], self.lex["proactive"]
        findings = []
        for msg, match in chat.find(defl, humans):
            findings.append(self.finding(ITEM, "deflection", f"客服推脱：“{match.text}”", msg, match, defl,
                                         positive=False))
        initiative = cooperate = 0
        for msg, match in chat.find(pro, humans):
            if match.term.tag == "initiative":
                asked = self._asked_for(chat, msg.index, match.text)
                if asked:
                    cooperate += 1
                    findings.append(self.finding(ITEM, "cooperate", f"客服按顾客要求办理：“{match.text}”",
                                                 msg, match, pro))
                else:
                    initiative += 1
                    findings.append(self.finding(ITEM, "initiative", f"客服主动提出解决办法：“{match.text}”",
                                                 msg, match, pro))
            else:
                cooperate += 1
                findings.append(self.finding(ITEM, "cooperate", f"客服配合顾客：“{match.text}”", msg, match, pro))
        deflections = sum(1 for f in findings if f.kind == "deflection")
        avg_len = sum(len(m.text) for m in humans) / len(humans)
        review = False
        if deflections and not initiative:
            level, confidence, review = 0, 0.65, True
        elif deflections:
            level, confidence, review = 1, 0.5, True
        elif initiative:
            level, confidence = 3, (0.75 if initiative >= 2 else 0.65)
        elif cooperate:
            level, confidence = 2, 0.7
        else:
            level, confidence = 1, (0.6 if avg_len < 15 else 0.5)
        reason = f"{LABELS[level]}：主动解决 {initiative} 处，配合 {cooperate} 处，推脱 {deflections} 处"
        if deflections and initiative:
            reason += "（既有推脱又有主动解决，请人工判断）"
        metrics = {"attitude_initiative": initiative, "attitude_cooperate": cooperate,
                   "attitude_deflections": deflections}
        return [Measurement(item=ITEM, value=level, confidence=confidence,
                            needs_review=review or confidence < 0.6, reason=reason, findings=findings,
                            metrics=metrics)]

    @staticmethod
    def _asked_for(chat: Chat, index: int, cue: str) -> bool:
        """Whether the customer's last message before `index` asked for the cue's action."""
        action = ACTION.search(cue)
        if not action:
            return False
        prev = next((m for m in reversed(chat.messages[:index]) if m.role == "customer"), None)
        return bool(prev and action.group(0) in prev.text)
