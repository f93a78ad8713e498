"""JSON routes of the audience."""
