"""The ledger of income streams: a double-entry journal, hours and capital, residual income."""
