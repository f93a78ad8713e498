"""Lending pages for the owner and staff."""
