"""The staff console's shared pages (``/staff``): log-in, log-out, change of password, and the home page.

Log-in goes through ``identity.service.login`` (the API's own password check, per-name and per-address
back-off); the token it issues is kept in the ``examsvc_staff`` cookie (HttpOnly, SameSite=Strict, for
the browser session), so the console's scripts call the JSON API with it and can never read it. Who may
open which page: ``examsvc.web.staff_access`` (docs/staff-console.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from examsvc import localtime
from examsvc.admission import checks_credentials
from examsvc.attempts import seatmap
from examsvc.db import DbSession, in_request_transaction, utcnow
from examsvc.dependencies import SettingsDep, get_settings
from examsvc.errors import ExamServiceError, InvalidInput, TooManyAttempts
from examsvc.identity import browser
from examsvc.identity import service as identity
from examsvc.identity.access import ALL_ROLES, CurrentUser
from examsvc.identity.endpoints import client_address, login_policy
from examsvc.identity.roles import Role
from examsvc.sites import rooms as site_rooms
from examsvc.sittings import service as sittings
from examsvc.sittings.models import SittingStatus, StaffRole
from examsvc.web.pages import form_of, render
from examsvc.web.staff_access import ERROR_HEADER, HOME_PATH, LOGIN_PATH, posted, safe_next, staff_page

router = APIRouter(prefix="/staff", include_in_schema=False)
AnyStaff = Annotated[CurrentUser, Depends(staff_page(*ALL_ROLES))]

STATUS_LABELS: dict[str, str] = {SittingStatus.SCHEDULED: "待开考", SittingStatus.OPEN: "考试中",
                                 SittingStatus.CLOSED: "已结束"}


@dataclass(frozen=True)
class Task:
    title: str
    what: str
    href: str | None  # None: done elsewhere (the command line or the API), said on the card


# The certificate register (台账): read by these roles as GET /certificates admits them.
REGISTER = Task("证书台账", "查询、筛选、导出证书台账，查看证书及其发证、复审、撤销等记录（只读）。",
                "/staff/certificates")

STATISTICS = Task("考试统计", "按考点、城市、培训机构、月份等分组统计参考与合格人次、合格率、发证数，图表与导出。",
                  "/staff/analysis/statistics")

# What each role does in the console, as the home page lists it. A new area adds its card here.
ANALYSIS = Task("试题分析", "按题库版本查看试题统计与待复核标记，导出待复核试题。", "/staff/analysis/items")
SIGNALS = Task("异常线索", "答案雷同、高分快答、试题通过率突增、培训机构异常等线索与证据；记录复核、移交调查或排除。"
               "线索供人工核查，不作处理依据。", "/staff/analysis")
SPOT_ARCHIVE = Task("逢查必考档案", "执法检查随机抽考的存档：按市、行业、单位、岗位筛选和统计参考、合格、"
                                "待重新培训人数与合格率，导出。", "/staff/spot/archive")
ROLE_TASKS: dict[Role, tuple[Task, ...]] = {
    Role.PROCTOR: (Task("考场监考台", "签到到岗、座位图、考生检录与登录码、暂停/延时/换机等处置、本考场事件。",
                        None),),
    Role.CHIEF_EXAMINER: (Task("主考工作台", "审批组卷规则、会签试卷集、到岗核查与开考、闭考与考场记录、"
                                        "成绩发布与复核。", "/staff/chief"),),
    Role.EXAM_ADMIN: (Task("考务管理", "创建考试场次、上传考生名单、安排考务人员（考教分离核查）、生成试卷集、"
                                   "查看场次状态。", "/staff/admin/sittings"), REGISTER, STATISTICS, SIGNALS,
                      SPOT_ARCHIVE),
    Role.INSPECTOR: (Task("全省巡考看板", "今日各考点场次：到岗人数、检录/答题/交卷人数、近30分钟事件、暂停考场。",
                          "/staff/inspector"), REGISTER, STATISTICS, SIGNALS, SPOT_ARCHIVE),
    Role.AUDITOR: (Task("审计日志", "浏览日志条目与包含证明，在浏览器中独立验证签名检查点。", "/staff/audit"),
                   REGISTER, STATISTICS, SIGNALS, SPOT_ARCHIVE),
    Role.CERTIFICATE_OFFICER: (
        Task("发证", "为已公布的合格资格发证：按身份证号单人发证，或整场发证（显示进度）。",
             "/staff/certificates/issue"),
        Task("证书台账与证书业务", "按种类、项目、考点、单位、状态、有效期筛选和导出台账；办理复审、换证、撤销/吊销、"
                             "恢复、补证，打印证书。", "/staff/certificates")),
    Role.ENFORCEMENT_OFFICER: (Task("逢查必考", "执法检查时登记被检查单位和在岗人员、随机抽取受检人员，在本设备上交给"
                                          "受检人员作答，查看成绩、登记重新培训，归档备查。", "/staff/spot"),),
    Role.EVALUATOR: (Task("实操评分", "实际操作考试的现场评分（目前通过接口进行）。", None),),
    Role.BANK_ADMIN: (Task("题库管理", "导入、发布、退役题库版本（目前通过命令行 examsvc banks 或接口进行）。",
                           None), ANALYSIS),
    Role.SYSTEM_ADMIN: (Task("系统管理", "人员与角色、考点与考试机审批（目前通过命令行 examsvc users / sites "
                                     "或接口进行）。", None),),
}


@dataclass(frozen=True)
class RoomDuty:
    sitting_code: str
    title: str
    room: str
    starts_at: str
    status: str
    href: str


def refused_page(request: Request, refused: ExamServiceError) -> HTMLResponse:
    """A page's refusal; a wrong role names the roles the page is for (the API's ``required_roles``)."""
    wanted = refused.detail.get("required_roles") or list(refused.detail.get("scopes", {}))
    for_roles = [Role(r).label for r in wanted if r in Role.__members__.values()]
    return render(request, "staff/refused.html", status_code=refused.status_code, refused=refused,
                  for_roles=for_roles)


def login_page(request: Request, *, error: ExamServiceError | None = None, username: str = "",
               next_path: str = HOME_PATH, notice: str = "") -> HTMLResponse:
    locked = isinstance(error, TooManyAttempts)
    response = render(request, "staff/login.html", status_code=error.status_code if error else 200, error=error,
                      locked=locked, username=username, next_path=safe_next(next_path), notice=notice)
    if error is not None:
        response.headers[ERROR_HEADER] = error.code
    return response


@router.get("/login")
def login_form(request: Request, next: str = HOME_PATH, done: str = "") -> Response:
    notice = {"logout": "您已退出登录。", "password": "密码已修改，请用新密码登录。"}.get(done, "")
    return login_page(request, next_path=next, notice=notice)


@router.post("/login")
@checks_credentials
async def log_in(request: Request) -> Response:
    fields = await form_of(request)
    username, password = fields.get("username", "").strip(), fields.get("password", "")
    next_path = safe_next(fields.get("next"))
    policy = login_policy(get_settings(request))

    def work(db_session: Session) -> Response:
        try:
            issued = identity.login(db_session=db_session, username=username, password=password,
                                    source=client_address(request), policy=policy)
        except ExamServiceError as refused:  # the failure's count is kept: this transaction commits
            return login_page(request, error=refused, username=username, next_path=next_path)
        response = RedirectResponse(next_path, status_code=303)
        browser.set_cookie(response, request, browser.STAFF_COOKIE, issued.secret)
        return response

    return await in_request_transaction(request, work)


@router.post("/logout")
def log_out(request: Request, current: AnyStaff, db_session: DbSession) -> Response:
    identity.logout(db_session=db_session, secret=current.token, actor=current.actor)
    response = RedirectResponse(f"{LOGIN_PATH}?done=logout", status_code=303)
    browser.clear_cookie(response, request, browser.STAFF_COOKIE)
    return response


@router.get("/password")
def password_form(request: Request, current: AnyStaff) -> Response:
    return render(request, "staff/password.html", user=current.user, error=None)


@router.post("/password")
@checks_credentials
def change_password(request: Request, current: AnyStaff, db_session: DbSession, settings: SettingsDep) -> Response:
    """The API's own change (current password checked and throttled like a log-in; other sessions end).
    A refusal is shown on the form and its trace (a wrong current password's count) is committed."""
    fields = posted(request)
    user = current.user
    try:
        if fields.get("new_password", "") != fields.get("confirm_password", ""):
            raise InvalidInput("两次输入的新密码不一致。", code="password_mismatch",
                               detail={"field": "confirm_password"})
        identity.change_password(db_session=db_session, user=user, current_password=fields.get(
            "current_password", ""), new_password=fields.get("new_password", ""), keep_token=current.token,
            actor=current.actor, policy=login_policy(settings))
    except ExamServiceError as refused:
        response = render(request, "staff/password.html", status_code=refused.status_code, user=user, error=refused)
        response.headers[ERROR_HEADER] = refused.code
        return response
    return render(request, "staff/password.html", user=user, error=None, changed=True)


@router.get("")
def home(request: Request, current: AnyStaff, db_session: DbSession, settings: SettingsDep) -> Response:
    roles = [r for r in Role if r in current.user.role_names]
    today = utcnow().astimezone(localtime.zone(settings.timezone)).date()
    todays = (seatmap.sittings_of_day(db_session, today, settings.timezone)
              if current.has(Role.INSPECTOR) or current.has(Role.EXAM_ADMIN) else [])
    return render(request, "staff/home.html", user=current.user, roles=roles, tasks=ROLE_TASKS,
                  duties=room_duties(db_session, current, settings.timezone), today=today.isoformat(),
                  todays=todays, todays_rooms=sum(len(s.rooms) for s in todays))


def room_duties(db_session: Session, current: CurrentUser, zone_name: str) -> list[RoomDuty]:
    """The rooms a proctor is assigned to in sittings not yet closed: each links to its room console."""
    if not current.has(Role.PROCTOR):
        return []
    duties: list[RoomDuty] = []
    for sitting in sittings.list_all(db_session=db_session, staff_user_id=current.id):
        if sitting.status == SittingStatus.CLOSED:
            continue
        mine = [a.room_id for a in sitting.staff if a.user_id == current.id and a.role == StaffRole.PROCTOR
                and a.room_id is not None]
        codes = site_rooms.codes(db_session=db_session, room_ids=mine)
        duties.extend(RoomDuty(sitting.code, sitting.title, codes[r], localtime.local_text(
            sitting.scheduled_start, zone_name), STATUS_LABELS[SittingStatus(sitting.status)],
            f"/staff/proctor/{sitting.code}/rooms/{codes[r]}") for r in mine)
    return duties
