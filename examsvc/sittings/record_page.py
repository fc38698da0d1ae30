"""The room record (考场记录, 暂行办法 art. 16) as a printable page in Chinese (A4, black and white).

Everything the signed JSON document holds is on the page, as people at the site read it: times in the
site's local time to the second (``EXAMSVC_TIMEZONE``), people by name rather than user id, each
candidate's start, end and how the attempt ended, and what each proctor action did (a move's two seats,
extra time and the new deadline, a room's affected candidates). Names are looked up when the page is
made; the JSON document (whose digest is signed) is unchanged and stays the reference.
"""

from __future__ import annotations

import html
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from examsvc.candidates.models import Registration
from examsvc.identity.models import UserAccount
from examsvc.localtime import local_text, parse_rfc3339
from examsvc.sittings.models import RoomRecord, Sitting

_e = html.escape
_INCIDENT_NAMES = {"pause": "暂停", "resume": "恢复", "extra_time": "延长时间", "warning": "警告",
                   "removal": "取消考试资格（成绩无效）", "move": "更换座位/考试机", "reopen": "重新登录"}
_ROLE_NAMES = {"chief_examiner": "主考官", "proctor": "监考员", "evaluator": "考评员", "inspector": "巡考员"}
_ENDED = {"candidate": "考生交卷", "deadline": "到时自动交卷", "removed": "取消考试资格"}


def _names(db_session: Session, data: dict[str, Any], sitting: Sitting) -> tuple[dict[int, str], dict[str, str]]:
    """Staff and actors by user id; candidates by admission number."""
    user_ids = {s["user_id"] for s in data["staff"]} | {i["by"] for i in data["incidents"] if i["by"] is not None}
    users = {row.id: row.display_name for row in db_session.scalars(
        select(UserAccount).where(UserAccount.id.in_(user_ids)))} if user_ids else {}
    candidates = {r.admission_number: r.candidate.name for r in db_session.scalars(
        select(Registration).where(Registration.sitting_id == sitting.id))}
    return users, candidates


def _details(incident: dict[str, Any], zone: str) -> str:
    """What the action did, in words (the JSON ``details``)."""
    d = incident["details"] or {}
    kind = incident["kind"]
    if kind == "move":
        return (f"座位 {d.get('from_seat', '?')} → 座位 {d.get('seat', '?')}"
                f"（考试机 {d.get('from_workstation_id', '?')} → {d.get('workstation_id', '?')}）")
    parts = []
    if "minutes" in d:
        parts.append(f"延长 {d['minutes']} 分钟")
    if "remaining_ms" in d:
        parts.append(f"剩余 {_span(d['remaining_ms'])}")
    if "credited_ms" in d:
        parts.append(f"补时 {_span(d['credited_ms'])}")
    if "deadline" in d:
        parts.append(f"新截止时间 {local_text(parse_rfc3339(d['deadline']), zone)}")
    if "admission_numbers" in d:
        parts.append(f"涉及考生 {len(d['admission_numbers'])} 人：{'、'.join(d['admission_numbers'])}")
    return "；".join(parts)


def _span(milliseconds: int) -> str:
    seconds = -(-int(milliseconds) // 1000)
    return f"{seconds // 60} 分 {seconds % 60} 秒"


def printable(db_session: Session, record: RoomRecord, sitting: Sitting, zone: str) -> str:
    data = json.loads(record.document)
    users, candidates = _names(db_session, data, sitting)

    def at(text: str | None, empty: str = "") -> str:
        return _e(local_text(parse_rfc3339(text), zone, empty=empty))

    rows = "".join(
        f"<tr><td>{_e(a['admission_number'])}</td><td>{_e(candidates.get(a['admission_number'], ''))}</td>"
        f"<td>{'到考' if a['present'] else '缺考'}</td><td>{_e(a['room'] or '')}</td><td>{a['seat'] or ''}</td>"
        f"<td>{at(a['checked_in_at'])}</td><td>{at(a['signed_in_at'])}</td><td>{at(a['started_at'])}</td>"
        f"<td>{at(a['ended_at'])}</td><td>{_e(_ENDED.get(a['ended_how'] or '', a['ended_how'] or ''))}</td></tr>"
        for a in data["attendance"])
    staff = "".join(
        f"<tr><td>{_e(s['name'])}</td><td>{_e(_ROLE_NAMES.get(s['role'], s['role']))}</td>"
        f"<td>{_e(s['room'] or '全场')}</td><td>{at(s['checked_in_at'], '未到岗')}</td>"
        f"<td>{at(s['checked_out_at'])}</td>"
        f"<td>{_e(s['checkout_reason'] or '')}</td></tr>" for s in data["staff"])
    incidents = "<p>无</p>" if not data["incidents"] else (
        "<table><tr><th>时间</th><th>事项</th><th>考场</th><th>准考证号</th><th>姓名</th><th>原因</th><th>详情</th>"
        "<th>处理人</th></tr>" + "".join(
            f"<tr><td>{at(i['at'])}</td><td>{_e(_INCIDENT_NAMES.get(i['kind'], i['kind']))}</td>"
            f"<td>{_e(i['room'] or '')}</td><td>{_e(i['admission_number'] or '全场')}</td>"
            f"<td>{_e(candidates.get(i['admission_number'] or '', ''))}</td><td>{_e(i['reason'])}</td>"
            f"<td>{_e(_details(i, zone))}</td><td>{_e(users.get(i['by'], '') if i['by'] is not None else '')}</td></tr>"
            for i in data["incidents"]) + "</table>")
    title = f"考场记录 {_e(data['sitting'])}"
    times = (f"计划开考：{at(data['scheduled_start'])}　开考：{at(data['opened_at'])}　"
             f"结束：{at(data['closed_at'])}")
    return f"""<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:serif;margin:2em}}table{{border-collapse:collapse;width:100%;margin:1em 0}}
td,th{{border:1px solid #000;padding:4px}}@page{{size:A4}}</style></head><body>
<h1>考场记录</h1>
<p>场次：{_e(data['sitting'])}　{_e(data['title'])}　考点：{_e(data['site'])}　考场：{_e('、'.join(data['rooms']))}</p>
<p>{times}</p>
<p>时间均为考点当地时间（{_e(zone)}），精确到秒。</p>
<p>报名 {data['registered']} 人，到考 {data['present']} 人，缺考 {data['registered'] - data['present']} 人。</p>
<h2>考生签到与作答</h2><table><tr><th>准考证号</th><th>姓名</th><th>到考</th><th>考场</th><th>座位</th><th>签到时间</th>
<th>登录时间</th><th>开始作答</th><th>结束作答</th><th>结束方式</th></tr>{rows}</table>
<h2>考务人员</h2><table><tr><th>姓名</th><th>岗位</th><th>考场</th><th>到岗</th><th>离岗</th><th>离岗原因</th></tr>{staff}</table>
<h2>考场情况</h2>{incidents}
<p>记录格式：{_e(data['format'])}</p>
<p>记录摘要（SHA-256）：{_e(record.digest)}</p>
<pre>{_e(record.signed_note)}</pre>
</body></html>"""
