from django.db import migrations

# SQLite plans from the statistics of ANALYZE. A database analysed before the board's totals
# indexes existed has statistics for the old indexes only, and the planner then takes the
# unmeasured totals index for the board's "newest 20 cards of a stage" query and sorts the
# whole stage. Measuring the two tables again gives it the real picture (a fraction of a
# second at 100,000 cards). PostgreSQL's autovacuum keeps its own statistics.


def analyze_cards(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("ANALYZE sales_deal")
        cursor.execute("ANALYZE sales_lead")


class Migration(migrations.Migration):
    dependencies = [("sales", "0004_stage_totals_indexes")]

    operations = [migrations.RunPython(analyze_cards, migrations.RunPython.noop)]
