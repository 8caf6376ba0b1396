"""Bitrix24-compatible REST API at ``/rest/``: existing Bitrix24 clients (fast_bitrix24,
b24pysdk, bitrix24-rest, CRest, site forms, PBX connectors) work against Voronka by changing
their webhook URL.

* ``/rest/<user_id>/<code>/<method>[.json]`` — an inbound webhook (an API token of the webhook
  kind, ``manage.py create_webhook USERNAME``) acting with its employee's rights and scopes;
  ``/rest/<method>`` with ``auth=<token>``.
* ``registry`` holds the method table, ``methods/`` the handlers (thin: they translate
  parameters and call the card, timeline, task and settings services), ``entities`` the field
  tables of leads, deals, contacts and companies, ``batch`` the ``batch`` method, ``delivery``
  the outgoing ``ONCRM*`` events of ``event.bind``.
* ``BITRIX24_RATE_LIMIT = {"rate": 2, "burst": 50}`` turns the leaky-bucket limiter on (off
  by default).
"""
