"""Audience: lists, subscribers with consent, tags, segments, import and export."""
