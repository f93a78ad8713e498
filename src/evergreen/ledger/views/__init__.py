"""The ledger's dashboard pages."""
