"""Default roles and their matrices; existing employees get a role so nobody loses access.

Frozen here on purpose: later changes to the defaults come as new migrations.
"""

from django.db import migrations

NONE, OWN, DEPARTMENT, DEPARTMENT_TREE, ALL = 0, 10, 20, 30, 40
ACTIONS = ["read", "add", "update", "delete", "export", "import"]
CRM = ["lead", "deal", "contact", "company", "task", "invoice"]
ENTITIES = [*CRM, "product", "report", "settings"]


def matrix(**cells):
    """Every entity × action, NONE unless given as entity={action: scope}."""
    return {
        (entity, action): cells.get(entity, {}).get(action, NONE)
        for entity in ENTITIES
        for action in ACTIONS
    }


def every(scope, actions=ACTIONS):
    return {action: scope for action in actions}


ROLES = [
    {
        "code": "administrator",
        "name": "Administrator",
        "description": "Everything, including settings.",
        "matrix": matrix(**{entity: every(ALL) for entity in ENTITIES}),
    },
    {
        "code": "head",
        "name": "Head of department",
        "description": "Works with the cards of the department and the departments below it.",
        "matrix": matrix(
            **{entity: every(DEPARTMENT_TREE) for entity in CRM},
            product={"read": ALL},
            report=every(DEPARTMENT_TREE, ["read", "export"]),
        ),
    },
    {
        "code": "manager",
        "name": "Manager",
        "description": "Works with own cards only.",
        "is_default": True,
        "matrix": matrix(
            **{entity: every(OWN, ["read", "add", "update", "delete", "export"]) for entity in CRM},
            product={"read": ALL},
            report={"read": OWN},
        ),
    },
    {
        "code": "operator",
        "name": "Operator",
        "description": "Enters leads, contacts and companies of the department; sees no money.",
        "matrix": matrix(
            lead=every(DEPARTMENT, ["read", "add", "update"]),
            contact=every(DEPARTMENT, ["read", "add", "update"]),
            company=every(DEPARTMENT, ["read", "add", "update"]),
            deal=every(OWN, ["read"]),
            task=every(OWN, ["read", "add", "update"]),
        ),
        "hidden": [
            ("lead", "amount"),
            ("deal", "amount"),
            ("company", "bank_accounts"),
            ("product", "price"),
            ("invoice", "amount"),
        ],
    },
    {
        "code": "read-only",
        "name": "Read-only",
        "description": "Sees every card, changes nothing.",
        "matrix": matrix(**{entity: {"read": ALL} for entity in [*CRM, "product", "report"]}),
    },
]


def install(apps, schema_editor):
    Role = apps.get_model("access", "Role")
    Permission = apps.get_model("access", "Permission")
    FieldRule = apps.get_model("access", "FieldRule")
    User = apps.get_model("staff", "User")
    Department = apps.get_model("staff", "Department")
    roles = {}
    for data in ROLES:
        role, _created = Role.objects.get_or_create(
            code=data["code"],
            defaults={
                "name": data["name"],
                "description": data["description"],
                "is_system": True,
                "is_default": data.get("is_default", False),
            },
        )
        roles[data["code"]] = role
        Permission.objects.bulk_create(
            [
                Permission(role=role, entity=entity, action=action, scope=scope)
                for (entity, action), scope in data["matrix"].items()
            ],
            ignore_conflicts=True,
        )
        FieldRule.objects.bulk_create(
            [
                FieldRule(role=role, entity=entity, field=field, access="hidden")
                for entity, field in data.get("hidden", [])
            ],
            ignore_conflicts=True,
        )
    heads = set(Department.objects.exclude(head=None).values_list("head_id", flat=True))
    for user in User.objects.all().only("pk", "is_superuser"):
        if user.is_superuser:
            code = "administrator"
        elif user.pk in heads:
            code = "head"
        else:
            code = "manager"
        roles[code].members.add(user)


def uninstall(apps, schema_editor):
    apps.get_model("access", "Role").objects.filter(is_system=True).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("access", "0001_initial"),
        ("staff", "0002_user_language"),
    ]

    operations = [migrations.RunPython(install, uninstall)]
