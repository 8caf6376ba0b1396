"""Handlers of the Bitrix24 methods; importing this package fills the method table."""

from voronka.integrations.bitrix24.methods import (  # noqa: F401
    crm,
    directories,
    events,
    links,
    products,
    requisites,
    system,
    tasks,
    telephony,
    timeline,
    userfields,
)
