"""Lending pages for the owner and staff: the book, a loan and its servicing forms, borrowers,
properties, payoff letters, draw photos, borrower invitations."""
