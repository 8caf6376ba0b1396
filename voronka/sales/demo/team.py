"""The agency's departments, employees and their absences around today."""

import datetime
from decimal import Decimal

from voronka.sales.demo.context import DemoContext
from voronka.sales.demo.writer import BulkWriter
from voronka.staff.models import Absence, AbsenceKind, Department, User

DEPARTMENTS = (
    # (key, name, parent key)
    ("sales", "Отдел продаж", None),
    ("production", "Отдел производства", None),
    ("development", "Разработка", "production"),
    ("design", "Дизайн", "production"),
    ("accounts", "Отдел сопровождения", None),
    ("accounting", "Бухгалтерия", None),
)

# (username, last, first, patronymic, position, department key, role, hourly rate, hours)
# role: head (of the department), sales, delivery or "" — the part the employee plays on cards.
EMPLOYEES = (
    ("a.smirnov", "Смирнов", "Алексей", "Викторович", "Руководитель отдела продаж", "sales",
     "head", "1400", (9, 18)),
    ("m.ivanova", "Иванова", "Мария", "Сергеевна", "Менеджер по продажам", "sales",
     "sales", "850", (9, 18)),
    ("d.kuznetsov", "Кузнецов", "Дмитрий", "Андреевич", "Менеджер по продажам", "sales",
     "sales", "850", (9, 18)),
    ("e.popova", "Попова", "Екатерина", "Игоревна", "Менеджер по продажам", "sales",
     "sales", "800", (10, 19)),
    ("a.sokolov", "Соколов", "Артём", "Павлович", "Старший менеджер по продажам", "sales",
     "sales", "950", (9, 18)),
    ("i.lebedev", "Лебедев", "Игорь", "Николаевич", "Директор по производству", "production",
     "head", "1800", (10, 19)),
    ("s.novikov", "Новиков", "Сергей", "Олегович", "Руководитель разработки", "development",
     "head", "1700", (10, 19)),
    ("p.morozov", "Морозов", "Павел", "Дмитриевич", "Backend-разработчик", "development",
     "", "1500", (10, 19)),
    ("a.volkova", "Волкова", "Анна", "Евгеньевна", "Frontend-разработчик", "development",
     "", "1400", (10, 19)),
    ("o.vasileva", "Васильева", "Ольга", "Михайловна", "Арт-директор", "design",
     "head", "1600", (10, 19)),
    ("n.fedorov", "Фёдоров", "Никита", "Алексеевич", "Дизайнер", "design",
     "", "1100", (10, 19)),
    ("n.mikhaylova", "Михайлова", "Наталья", "Владимировна",
     "Руководитель отдела сопровождения", "accounts", "head", "1300", (9, 18)),
    ("m.egorov", "Егоров", "Максим", "Юрьевич", "Аккаунт-менеджер", "accounts",
     "delivery", "900", (9, 18)),
    ("d.kozlova", "Козлова", "Дарья", "Романовна", "Менеджер проектов", "accounts",
     "delivery", "1000", (9, 18)),
    ("s.nikitina", "Никитина", "Светлана", "Петровна", "Главный бухгалтер", "accounting",
     "head", "1200", (9, 17)),
    ("t.orlova", "Орлова", "Татьяна", "Константиновна", "Бухгалтер", "accounting",
     "", "800", (9, 17)),
)  # fmt: skip


def create_team(context: DemoContext, writer: BulkWriter) -> None:
    departments: dict[str, Department] = {}
    for sort, (key, name, parent_key) in enumerate(DEPARTMENTS, start=1):
        department = Department(
            name=name, parent=departments.get(parent_key), sort=sort * 10, created_at=context.now
        )
        departments[key] = writer.save_now([department])[0]

    rng = context.rng
    users = []
    for username, last, first, middle, position, department_key, _role, rate, hours in EMPLOYEES:
        user = User(
            username=username,
            last_name=last,
            first_name=first,
            middle_name=middle,
            email=f"{username}@pixel-studio.ru",
            position=position,
            department=departments[department_key],
            phone=f"+7 495 {rng.randint(100, 999)}-{rng.randint(10, 99)}-{rng.randint(10, 99)}",
            hourly_cost_rate=Decimal(rate),
            work_day_start=datetime.time(hours[0]),
            work_day_end=datetime.time(hours[1]),
            date_joined=context.days_ago(rng.randint(200, 1500)),
        )
        # Only the administrator signs in to the demo; employees are there to own cards.
        user.set_unusable_password()
        users.append(user)
    users = writer.save_now(users)

    team = context.team
    for user, spec in zip(users, EMPLOYEES, strict=True):
        role, department = spec[6], departments[spec[5]]
        team.employee_ids.append(user.pk)
        if role == "head":
            department.head = user
            department.save(update_fields=["head"])
        if role == "sales":
            team.sales_manager_ids.append(user.pk)
        if role == "delivery":
            team.delivery_manager_ids.append(user.pk)
    team.sales_head_id = departments["sales"].head_id
    # The head of sales takes clients too, like in most small departments.
    team.sales_manager_ids.append(team.sales_head_id)
    _give_roles(users)
    _create_absences(context, writer, users)


# Who holds which role beside the default Manager one, so the demo shows scoped rights: the
# head of sales sees the whole department, an operator its leads but no money.
DEMO_ROLES = (("a.smirnov", "head"), ("d.kuznetsov", "operator"))


def _give_roles(users: list[User]) -> None:
    from voronka.access.models import Role
    from voronka.access.services import role_assign

    by_username = {user.username: user for user in users}
    roles = {role.code: role for role in Role.objects.filter(code__in=[c for _u, c in DEMO_ROLES])}
    for username, code in DEMO_ROLES:
        if code in roles and username in by_username:
            role_assign(actor=None, role=roles[code], user=by_username[username])


def _create_absences(context: DemoContext, writer: BulkWriter, users: list[User]) -> None:
    today = context.now.astimezone(context.now.tzinfo).date()
    by_username = {user.username: user for user in users}
    plan = (
        ("e.popova", AbsenceKind.VACATION, -3, 10, "Ежегодный отпуск"),
        ("p.morozov", AbsenceKind.SICK_LEAVE, -1, 3, "Больничный лист"),
        ("m.egorov", AbsenceKind.DAY_OFF, 7, 7, "Отгул"),
        ("a.sokolov", AbsenceKind.BUSINESS_TRIP, 14, 16, "Выставка в Санкт-Петербурге"),
        ("o.vasileva", AbsenceKind.VACATION, -40, -27, "Отпуск"),
    )
    writer.save_now(
        [
            Absence(
                user=by_username[username],
                kind=kind,
                starts_on=today + datetime.timedelta(days=start),
                ends_on=today + datetime.timedelta(days=end),
                comment=comment,
                created_at=context.now,
            )
            for username, kind, start, end, comment in plan
        ]
    )
