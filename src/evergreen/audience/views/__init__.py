"""The audience's pages: lists, subscribers and their history, CSV import, segments, forms, the
public sign-up form, the preference centre and the confirmation link of double opt-in. Staff read;
the owner changes, imports, exports and erases."""
