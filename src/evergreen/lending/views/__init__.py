"""The owner's lending pages: the book, a loan and its servicing forms, borrowers, properties."""
