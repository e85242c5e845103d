"""People: accounts, roles, residents with real names,
households and the community card."""
