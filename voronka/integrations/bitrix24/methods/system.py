"""``profile``, ``user.*``, ``department.get``, ``scope``, ``methods``, ``app.info``,
``server.time``."""

from django.db.models import Q
from django.utils import timezone

from voronka.integrations.bitrix24.params import as_list, as_map, is_empty, to_bool, to_int
from voronka.integrations.bitrix24.registry import BASIC, OTHER, REGISTRY, allowed, method
from voronka.integrations.bitrix24.responses import PAGE_SIZE, Page
from voronka.integrations.bitrix24.values import classic
from voronka.staff.models import Department, User

ALL_SCOPES = ["crm", "user", "user_brief", "user_basic", "department", "task", "telephony"]


@method("profile", scope=BASIC)
def profile(ctx, params):
    user = ctx.user
    return {
        "ID": str(user.pk),
        "ADMIN": bool(user.is_superuser),
        "NAME": user.first_name,
        "LAST_NAME": user.last_name,
        "PERSONAL_GENDER": "",
        "TIME_ZONE": "",
    }


def user_row(user: User) -> dict:
    return {
        "ID": str(user.pk),
        "XML_ID": "",
        "ACTIVE": bool(user.is_active),
        "NAME": user.first_name,
        "LAST_NAME": user.last_name,
        "SECOND_NAME": user.middle_name,
        "EMAIL": user.email,
        "LAST_LOGIN": classic(user.last_login, "datetime"),
        "DATE_REGISTER": classic(user.date_joined, "datetime"),
        "IS_ONLINE": "N",
        "TIME_ZONE": "",
        "PERSONAL_PHONE": "",
        "PERSONAL_MOBILE": "",
        "WORK_PHONE": user.phone,
        "WORK_POSITION": user.position,
        "UF_DEPARTMENT": [user.department_id] if user.department_id else [],
        "UF_PHONE_INNER": user.phone,
        "USER_TYPE": "employee",
    }


@method("user.current", scope="user")
def user_current(ctx, params):
    return user_row(ctx.user)


USER_FILTERS = {
    "ID": "pk",
    "ACTIVE": "is_active",
    "NAME": "first_name",
    "LAST_NAME": "last_name",
    "EMAIL": "email",
    "UF_DEPARTMENT": "department_id",
    "UF_PHONE_INNER": "phone",
    "WORK_POSITION": "position",
}
USER_ORDERS = {
    "ID": "pk",
    "NAME": "first_name",
    "LAST_NAME": "last_name",
    "UF_PHONE_INNER": "phone",
    "EMAIL": "email",
}


def _order(params, known: dict) -> list[str]:
    order = params.get("order")
    sort = params.get("sort")
    result = []
    if isinstance(order, dict):
        for key, direction in order.items():
            column = known.get(str(key).upper())
            if column:
                result.append(f"-{column}" if str(direction).upper() == "DESC" else column)
    elif sort and str(sort).upper() in known:
        column = known[str(sort).upper()]
        result.append(f"-{column}" if str(order or "").upper() == "DESC" else column)
    return [*result, "pk"]


def _page(queryset, params, render) -> Page:
    start = to_int(params.get("start")) or 0
    if start < 0:
        return Page([render(x) for x in queryset[:PAGE_SIZE]], total=0)
    total = queryset.count()
    rows = [render(x) for x in queryset[start : start + PAGE_SIZE]]
    following = start + PAGE_SIZE
    return Page(rows, total=total, next=following if following < total else None)


@method("user.get", "user.search", scope="user")
def user_get(ctx, params):
    filters = dict(as_map(params.get("filter")))
    for key, value in params.items():
        if key.upper() in USER_FILTERS or key.upper() in ("USER_TYPE", "NAME_SEARCH", "FIND"):
            filters.setdefault(key.upper(), value)
    users = User.objects.all()
    if "ACTIVE" not in {k.upper() for k in filters}:
        users = users.filter(is_active=True)
    for key, value in filters.items():
        name = str(key).upper().lstrip("=")
        if name in ("NAME_SEARCH", "FIND") and not is_empty(value):
            text = str(value)
            users = users.filter(
                Q(first_name__icontains=text)
                | Q(last_name__icontains=text)
                | Q(email__icontains=text)
            )
            continue
        column = USER_FILTERS.get(name)
        if column is None or is_empty(value):
            continue
        if column == "is_active":
            users = users.filter(is_active=to_bool(value))
        elif isinstance(value, list | dict):
            users = users.filter(**{f"{column}__in": as_list(value)})
        else:
            users = users.filter(**{column: value})
    users = users.order_by(*_order(params, USER_ORDERS))
    return _page(users, params, user_row)


def department_row(department: Department) -> dict:
    return {
        "ID": str(department.pk),
        "NAME": department.name,
        "SORT": department.sort,
        "PARENT": str(department.parent_id) if department.parent_id else "",
        "UF_HEAD": str(department.head_id) if department.head_id else "",
    }


@method("department.get", scope="department")
def department_get(ctx, params):
    departments = Department.objects.all()
    columns = {
        "ID": "pk",
        "NAME": "name",
        "SORT": "sort",
        "PARENT": "parent_id",
        "UF_HEAD": "head_id",
    }
    # Top-level names arrive lower-cased, so ``sort`` is both the order (``sort=NAME``) and the
    # SORT filter (``SORT=500``): a number filters, a field name orders.
    top_level = {
        key: value
        for key, value in params.items()
        if key != "order" and not (key == "sort" and to_int(value) is None)
    }
    for key, value in {**as_map(params.get("filter")), **top_level}.items():
        column = columns.get(str(key).upper())
        if not column or is_empty(value) or isinstance(value, dict):
            continue
        values = as_list(value) if isinstance(value, list) else [value]
        if column != "name":
            # An id or a sort that is not a number matches nothing, instead of failing.
            values = [number for number in map(to_int, values) if number is not None]
        departments = departments.filter(**{f"{column}__in": values})
    departments = departments.order_by(
        *_order(params, {"ID": "pk", "NAME": "name", "SORT": "sort"})
    )
    return _page(departments, params, department_row)


@method("scope", scope=BASIC)
def scope(ctx, params):
    if to_bool(params.get("full")):
        return ALL_SCOPES
    return [s for s in ALL_SCOPES if s in ctx.scopes]


@method("methods", scope=BASIC)
def methods(ctx, params):
    wanted = params.get("scope")
    full = to_bool(params.get("full"))
    names = []
    for name, entry in sorted(REGISTRY.items()):
        if wanted and entry.scope != wanted:
            continue
        if full or allowed(ctx.scopes, entry.scope):
            names.append(name)
    return names


@method("app.info", scope=BASIC, family=OTHER)
def app_info(ctx, params):
    return {"SCOPE": [s for s in ALL_SCOPES if s in ctx.scopes], "LICENSE": "selfhosted"}


@method("server.time", scope=BASIC)
def server_time(ctx, params):
    return timezone.localtime().isoformat(timespec="seconds")
