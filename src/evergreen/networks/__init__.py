"""The owner as an affiliate of others: networks, postbacks, report imports and earnings."""
