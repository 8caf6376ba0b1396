"""Periodic monitoring: rules that look at all cards every minute or so and act once per card
and occasion — escalate a lead nobody took, tell a head about an overdue task, create a task for
a deal that has none, remind about a client without deals or contact, a birthday, a payment.

``registry`` holds the kinds of check, ``checks`` the checks themselves, ``services`` the rules'
set-up and ``run_monitoring``; the settings page is ``views``.
"""
