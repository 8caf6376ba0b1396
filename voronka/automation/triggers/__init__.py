"""Triggers: events that move a card into a stage when they happen — a task completed, a field
changed, a call or e-mail of the client, a lead from a channel, a date reached, an inbound
webhook called. ``base`` holds the registry of kinds, ``kinds`` the kinds of this release,
``services`` setting triggers up and firing them, ``handlers`` the event subscriptions."""
