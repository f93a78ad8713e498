"""The audience's pages: lists, subscribers and their history, CSV import, segments, and the
public confirmation link of double opt-in. Staff read; the owner changes, imports, exports and
erases."""
