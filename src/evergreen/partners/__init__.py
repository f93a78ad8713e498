"""Partners: the owner's affiliate program (partners, terms, conversions, commissions, payouts)."""
