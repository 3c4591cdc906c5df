"""Every error the service answers, in English and Chinese, and the status each gets.

Routes raise the classes below (``raise UnknownJobError(job_id=job_id)``); no route builds an
error text. A class is one message: its status (from the group it belongs to), its field
and its two texts, which are templates filled with the keyword arguments given when it is
raised (``field=`` names another field when the same message serves several).

:func:`problem_of` maps any exception to its status and ``{problem, problem_zh, field}``
body, for the HTTP handlers (``app.py``) and for a failed job's record (``jobs.py``):

====  =====================================================  ===============================
400   unreadable body (answered by the framework)
401   no or unknown token                                    :class:`UnauthorizedError`
403   the role may not do this                               :class:`ForbiddenError`
404   unknown id in the path                                 :class:`NotFoundError`
409   concurrent edit, or a state that does not allow it     :class:`ConflictError`
413   body or uploaded file too large                        :class:`PayloadTooLargeError`,
                                                             ``geodata``'s ``TooLargeError``
422   bad input, naming the field                            :class:`InvalidError`,
                                                             ``DataError``
422   no solution under the hard constraints                 ``InfeasibleError``
429   job queue full                                         :class:`BusyError`
500   a solver could not answer (not infeasibility)          ``SolverError``
500   anything else: a bug, told in the server log only
====  =====================================================  ===============================
"""

from __future__ import annotations

from typing import ClassVar

from geodata.limits import TooLargeError
from service.api.schemas import Problem
from solver.errors import DataError, InfeasibleError, SolverError

#: Chinese for the statuses the framework itself answers (unknown path, wrong method, ...).
HTTP_ZH = {
    400: "请求内容无法解析(须为UTF-8编码的JSON)",
    401: "未认证:请提供有效令牌",
    403: "无权执行此操作",
    404: "未找到该地址或资源",
    405: "不支持该请求方法",
    406: "无法提供所要求的格式",
    413: "请求内容过大",
    415: "不支持该内容类型",
    422: "输入数据有误",
    429: "请求过多,请稍后再试",
    500: "服务器内部错误",
}

_DEFAULT = object()


class ServiceError(Exception):
    """An error answered with ``status`` and a :class:`Problem` body (one catalogue entry)."""

    status: ClassVar[int] = 500
    en: ClassVar[str] = "{problem}"
    zh: ClassVar[str] = "{problem_zh}"
    field: ClassVar[str | None] = None

    def __init__(self, *, field: str | object | None = _DEFAULT, **values: object) -> None:
        named = type(self).field if field is _DEFAULT else field
        self.body = Problem(
            problem=self.en.format(**values),
            problem_zh=self.zh.format(**values),
            field=named if isinstance(named, str) else None,
        )
        super().__init__(self.body.problem)

    @classmethod
    def of(cls, exc: DataError, *, field: str | None = None) -> ServiceError:
        """``exc`` answered with this class's status (its field unless ``field`` is given)."""
        return cls(
            problem=exc.problem,
            problem_zh=exc.problem_zh or HTTP_ZH.get(cls.status, "请求无法处理"),
            field=field or exc.field or cls.field,
        )


# -- groups by status ----------------------------------------------------------------------


class UnauthorizedError(ServiceError):
    """401: no token, or one the service does not know."""

    status = 401
    field = "Authorization"


class ForbiddenError(ServiceError):
    """403: the caller's role may not do this."""

    status = 403
    field = "role"


class NotFoundError(ServiceError):
    """404: an unknown id in the path."""

    status = 404


class ConflictError(ServiceError):
    """409: changed meanwhile, or the thing is in a state that does not allow it."""

    status = 409


class PayloadTooLargeError(ServiceError):
    """413: over a size limit."""

    status = 413
    field = "body"


class InvalidError(ServiceError):
    """422: bad input, naming the field."""

    status = 422


class BusyError(ServiceError):
    """429: the job queue is full."""

    status = 429


# -- tokens and roles ----------------------------------------------------------------------


class MissingTokenError(UnauthorizedError):
    """No ``Authorization: Bearer`` header."""

    en = "missing bearer token"
    zh = "缺少访问令牌"


class UnknownTokenError(UnauthorizedError):
    """A token the service does not know."""

    en = "unknown token"
    zh = "访问令牌无效"


class RoleRefusedError(ForbiddenError):
    """The caller's role is not one the route allows."""

    en = "role {role} may not do this"
    zh = "该角色无此权限"


class KindRefusedError(ForbiddenError):
    """The caller's role may not submit this kind of job."""

    en = "role {role} may not run {kind} jobs"
    zh = "该角色不能运行{label_zh}任务"


# -- areas, registry, layers ---------------------------------------------------------------


class UnknownAreaError(NotFoundError):
    """An area named in the path (the reader's message, which lists the known ones)."""

    field = "area"


class UnknownLayerError(NotFoundError):
    """A layer name the route does not serve."""

    en = "unknown layer {layer!r}"
    zh = "未知图层"
    field = "layer"


class UnknownItemError(NotFoundError):
    """An item not in the area's catalogue."""

    en = "unknown item {item!r}"
    zh = "未知物资"
    field = "item"


class UnknownDepotError(NotFoundError):
    """A depot id the area does not have."""

    en = "unknown depot {depot!r}"
    zh = "未知储备库"
    field = "depot"


class UnknownShelterError(NotFoundError):
    """A place id that is not a shelter of the area."""

    en = "unknown shelter {point!r}"
    zh = "未知避难场所"
    field = "point"


class DepotExistsError(ConflictError):
    """A depot id already used in the area."""

    en = "depot {depot!r} exists"
    zh = "储备库编号已存在"
    field = "id"


class OutdatedVersionError(ConflictError):
    """An edit sent with an ``expected_version`` that is no longer current."""

    en = "changed meanwhile; current version {current}"
    zh = "已被他人修改,请刷新后重试"
    field = "expected_version"


class ChangedConcurrentlyError(ConflictError):
    """Two edits of one record landed together; this one lost."""

    en = "changed concurrently; read again"
    zh = "已被他人同时修改,请刷新后重试"
    field = "expected_version"


class BadRecordError(InvalidError):
    """A record refused by the area's readers (their message; the body if no field)."""

    field = "body"


# -- uploads and scenarios -----------------------------------------------------------------


class BadUploadError(InvalidError):
    """An uploaded file refused by its reader (its message, never the server's path)."""

    field = "body"


class UploadTooLargeError(PayloadTooLargeError):
    """An uploaded file over the size limit (the reader's message)."""


class NotGeoPackageError(InvalidError):
    """An area upload that no GeoPackage reader can open."""

    en = "not a readable GeoPackage"
    zh = "不是可读的GeoPackage文件"
    field = "body"


class BadAreaNameError(InvalidError):
    """An area name that cannot be a file name."""

    en = "1-50 letters, digits, '_' or '-'"
    zh = "名称须为1-50个字母、数字、'_'或'-'"
    field = "name"


class AreaExistsError(ConflictError):
    """An area name already taken (bundled, configured or uploaded)."""

    en = "area {name!r} exists"
    zh = "区域已存在"
    field = "name"


class ControlCharactersError(InvalidError):
    """A name with control characters (the validator's message)."""

    zh = "名称不能含控制字符(须为可打印文本)"
    field = "name"


class BadScenarioNameError(InvalidError):
    """A scenario name that is empty, too long, or has a '/'."""

    en = "1-100 characters, no '/'"
    zh = "名称须为 1-100 个字符,且不含 '/'"
    field = "name"


class UnknownScenarioError(NotFoundError):
    """A scenario name neither stored nor in the library."""

    en = "unknown scenario {name!r}"
    zh = "未知情景"
    field = "name"


class ScenarioChangedError(ConflictError):
    """A scenario sent with an ``expected_version`` that is no longer current."""

    en = "changed meanwhile; current version {current}"
    zh = "情景已被他人修改"
    field = "expected_version"


class ScenarioChangedConcurrentlyError(ConflictError):
    """Two writes of one scenario landed together; this one lost."""

    en = "changed concurrently"
    zh = "情景已被他人修改"
    field = "expected_version"


class NoInjectsError(InvalidError):
    """An exercise or drill asked of a scenario without a script."""

    en = "the scenario has no injects"
    zh = "情景中没有注入事件"
    field = "scenario.injects"


class ScenarioForOtherAreaError(InvalidError):
    """A scenario for one area sent with a request for another."""

    en = "the scenario is for area {scenario_area!r}, the {what} for {area!r}"
    zh = "情景所属区域与请求区域不一致"
    field = "area"


class BadBboxError(InvalidError):
    """A ``bbox`` that is not four numbers."""

    en = "bbox is lon0,lat0,lon1,lat1"
    zh = "bbox 须为 经度0,纬度0,经度1,纬度1"
    field = "bbox"


class EmptyBboxError(InvalidError):
    """A ``bbox`` with no area (or not finite)."""

    en = "bbox needs finite lon0 < lon1 and lat0 < lat1"
    zh = "bbox 范围无效"
    field = "bbox"


# -- jobs ----------------------------------------------------------------------------------


class UnknownJobKindError(InvalidError):
    """A job kind not in the registry (``job_kinds.py``)."""

    en = "unknown job kind {kind!r}; one of {known}"
    zh = "未知任务类型 {kind!r},可选:{known}"
    field = "kind"


class ScenarioNeededError(InvalidError):
    """A job of a kind that needs a scenario, sent without one."""

    en = "a {kind} job needs a scenario"
    zh = "{label_zh}任务须指定情景"
    field = "scenario"


class BadOptionError(InvalidError):
    """An option refused by the kind's options model (pydantic's message, in Chinese too)."""


class UnknownOptionError(InvalidError):
    """An option the kind's options model does not have."""

    en = "unknown option for a {kind} job; options: {known}"
    zh = "{kind} 任务没有此选项;可用选项:{known}"


class TimeLimitTooLongError(InvalidError):
    """A solver time limit above the server's ``max_time_limit_s``."""

    en = "at most {limit:g} s on this server"
    zh = "求解时间超过服务器上限({limit:g} 秒)"


class UnknownFloodLayerError(InvalidError):
    """A flood layer id not uploaded for the job's area."""

    en = "no flood layer {layer!r} for {area}"
    zh = "区域 {area} 没有洪水图层 {layer!r}"


class QueueFullError(BusyError):
    """As many jobs queued or running as ``max_queued_jobs``."""

    en = "{limit} jobs queued or running; try later"
    zh = "任务已满(排队或运行中 {limit} 个),请稍后再试"


class UnknownJobError(NotFoundError):
    """A job id that is not stored."""

    en = "unknown job {job_id!r}"
    zh = "未知任务"
    field = "job_id"


#: A job's status in Chinese, for messages about it.
JOB_STATUS_ZH = {
    "queued": "排队中",
    "running": "运行中",
    "done": "已完成",
    "failed": "已失败",
    "cancelled": "已取消",
}


class _JobStatusError(ConflictError):
    """A message about a job's status, which it names in both languages."""

    def __init__(self, *, status: str, **values: object) -> None:
        super().__init__(status=status, status_zh=JOB_STATUS_ZH.get(status, status), **values)


class JobNotDoneError(_JobStatusError):
    """A result asked of a job that has not finished well."""

    en = "job is {status}"
    zh = "任务尚未完成({status_zh})"
    field = "status"


class JobFinishedError(_JobStatusError):
    """A cancellation of a job that has finished (done or failed)."""

    en = "job is {status}; nothing to cancel"
    zh = "任务已结束({status_zh}),无法取消"
    field = "status"


class NotYourJobError(ForbiddenError):
    """A cancellation by someone who neither submitted the job nor is a planner."""

    en = "only the job's submitter or a planner may cancel it"
    zh = "只有提交者或规划人员可以取消此任务"


class ResultGoneError(NotFoundError):
    """A finished job whose result file is missing."""

    en = "the result file is gone (data folder changed?)"
    zh = "结果文件缺失"
    field = "job_id"


class NoResultLayerError(NotFoundError):
    """A layer the job's result does not have."""

    en = "no layer {layer!r} in this result"
    zh = "结果中无此图层"
    field = "layer"


class NotACheckError(InvalidError):
    """A check's summary asked of a job of another kind."""

    en = "job {job_id!r} is a {kind} job, not a check"
    zh = "该任务不是核查任务"
    field = "job_id"


class InterruptedJobError(ConflictError):
    """A job's record once a server stopped during it too often."""

    en = "interrupted by a server stop too often"
    zh = "服务多次在运行中停止,任务未能完成"


class CancelledByError(ConflictError):
    """A job's record once cancelled (``GET /jobs/{id}`` shows it as ``error``)."""

    en = "cancelled by {by}"
    zh = "任务已被 {by} 取消"
    field = None


# -- drills --------------------------------------------------------------------------------


class UnknownDrillError(NotFoundError):
    """A drill id that is not stored."""

    en = "unknown drill {drill_id!r}"
    zh = "未知演练"
    field = "drill_id"


class DrillStateError(ConflictError):
    """A drill action its state does not allow (start a running drill...)."""

    en = "the drill is {status}, not {wanted}"
    zh = "演练状态不符"
    field = "status"


class DrillNotStartedError(ConflictError):
    """A score asked of a drill that has not started."""

    en = "the drill has not started"
    zh = "演练尚未开始"
    field = "status"


class DrillChangedError(ConflictError):
    """A drill changed between reading and writing it; send again."""

    en = "the drill changed meanwhile; try again"
    zh = "演练已被修改"
    field = "version"


class DrillBusyError(ConflictError):
    """A drill kept changing while its clock released injects."""

    en = "the drill is busy; try again"
    zh = "演练正忙,请重试"
    field = "version"


class NothingToScriptError(InvalidError):
    """A generated flood with nothing near it to script injects with."""

    en = "nothing near this flood to script injects with; try another seed"
    zh = "洪水附近无可生成的注入事件"
    field = "generate.seed"


class BlindReleasesNextError(InvalidError):
    """A blind drill's controller naming an inject to release."""

    en = "a blind drill releases the next inject only"
    zh = "双盲演练只能发布下一事件"
    field = "index"


class NoSuchInjectError(InvalidError):
    """An inject index past the script's end."""

    en = "the script has {count} injects"
    zh = "无此事件"
    field = "index"


class InjectReleasedError(ConflictError):
    """An inject released a second time."""

    en = "inject {index} is released already"
    zh = "该事件已发布"
    field = "index"


class AllReleasedError(ConflictError):
    """A release when the whole script is out."""

    en = "every inject is released"
    zh = "事件已全部发布"
    field = "index"


class ClockSetsHourError(InvalidError):
    """An hour given for a release on a drill that runs on its clock."""

    en = "the drill clock sets the hour; omit at_h"
    zh = "时钟模式下不能指定时间"
    field = "at_h"


class ClockRunsError(InvalidError):
    """A manual advance of a drill that runs on its clock."""

    en = "the drill runs on its clock"
    zh = "时钟模式下不能手动推进"
    field = "to_h"


class TimeRunsForwardError(InvalidError):
    """An hour before the drill's current one."""

    en = "the drill is at hour {hour:g}; time runs forward"
    zh = "时间不能倒退"


class OpensWhenEndedError(ForbiddenError):
    """A player or viewer reading what opens only when the drill has ended."""

    en = "{what} opens to players when the drill ends"
    zh = "演练结束后方可查看{what_zh}"
    field = "status"


# -- mapping any exception -----------------------------------------------------------------

#: Infeasibility: the request's hard constraints admit no answer (the solver says which).
INFEASIBLE_ZH = "在给定的硬性约束下无可行解(请放宽约束,如目标时限、车辆或库存)"
SOLVER_ZH = "求解器未能给出结果(数值问题或求解器故障,并非无解)"
INTERNAL = "internal error (see the server log)"


# -- duty officer: papers, re-dispatch, changes (routes_duty) ---------------------------------


class NotADispatchError(InvalidError):
    """Papers or a re-dispatch asked of a job that made no dispatch plan."""

    en = "job {job_id!r} is a {kind} job, not a dispatch"
    zh = "该任务不是调度任务"
    field = "job_id"


class NotARedispatchError(InvalidError):
    """Changes asked of a job that re-planned nothing."""

    en = "job {job_id!r} is not a re-dispatch"
    zh = "该任务不是重新调度任务"
    field = "job_id"


class NothingChangedError(InvalidError):
    """A re-dispatch with no closure, no people added and no depot lost."""

    en = "nothing to re-plan for: give a closure, people added or a depot lost"
    zh = "请给出封闭道路、新增人员或损毁储备库"
    field = "closures"


class UploadedFloodsError(InvalidError):
    """A re-dispatch of a plan made with uploaded flood layers (not in its scenario)."""

    en = (
        "a plan made with uploaded flood layers cannot be re-planned here yet; "
        "give the floods in the scenario as polygons"
    )
    zh = "使用上传洪水图层制定的计划暂不能在此重新调度,请在情景中以多边形给出洪水"
    field = "job_id"


class UnknownPlaceError(InvalidError):
    """People added at a place the area does not have."""

    en = "no place {point!r} in area {area}"
    zh = "区域 {area} 中无此地点 {point}"


class UnknownLostDepotError(InvalidError):
    """A lost depot the area does not have."""

    en = "no depot {depot!r} in area {area}"
    zh = "区域 {area} 中无此储备库 {depot}"


def problem_of(exc: BaseException) -> tuple[int, Problem]:
    """The status and body that answer ``exc``.

    Anything not in the catalogue is a 500 that tells nothing of the server's internals
    (the caller logs it).
    """
    if isinstance(exc, ServiceError):
        return exc.status, exc.body
    if isinstance(exc, DataError):
        problem = exc.problem if exc.record is None else f"record {exc.record!r}: {exc.problem}"
        body = Problem(problem=problem, field=exc.field, problem_zh=exc.problem_zh or HTTP_ZH[422])
        return (413 if isinstance(exc, TooLargeError) else 422), body
    if isinstance(exc, InfeasibleError):
        return 422, Problem(
            problem=f"no solution under the hard constraints: {exc}",
            field=None,
            problem_zh=INFEASIBLE_ZH,
        )
    if isinstance(exc, SolverError):
        return 500, Problem(
            problem=f"no solver could answer: {exc.problem}",
            field=None,
            problem_zh=exc.problem_zh or SOLVER_ZH,
        )
    return 500, Problem(problem=INTERNAL, field=None, problem_zh=HTTP_ZH[500])


def known(exc: BaseException) -> bool:
    """Whether ``exc`` is an error the catalogue answers (else it is a bug, to be logged)."""
    return isinstance(exc, ServiceError | DataError | InfeasibleError | SolverError)
