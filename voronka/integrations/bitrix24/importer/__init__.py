"""Moving a Bitrix24 portal's CRM here: ``manage.py import_bitrix24 <webhook-url>``.

``client`` talks to the portal, ``mapping`` converts values, ``directories`` and ``cards`` and
``extras`` import each entity through our services, ``idmap`` remembers what became of each
record so a second run updates instead of duplicating, ``report`` counts it all.
"""
