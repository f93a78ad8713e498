"""Lending: the owner's private loans, serviced and posted to the ledger."""
