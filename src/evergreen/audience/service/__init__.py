"""Use cases of the audience; the only writers of its tables."""
