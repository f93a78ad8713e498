"""Webinars: evergreen (recorded) webinars and the sessions each registrant is offered."""
