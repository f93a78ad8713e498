"""Files out of the ledger: the whole journal as beancount (`beancount.py` is pure)."""
