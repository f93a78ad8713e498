"""Household: the owner's own money, personal residual income, the VA test and independence."""
