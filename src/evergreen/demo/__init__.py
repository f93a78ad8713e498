"""A year of a small passive-income business, loaded through the real services."""
