"""Pages of the audience."""
