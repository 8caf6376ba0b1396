"""Pages of leads and deals, one module per area: home, boards, lists, cards, settings."""
