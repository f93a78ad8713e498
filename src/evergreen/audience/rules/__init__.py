"""The audience's pure rules: decisions on plain values, tested without a database."""
