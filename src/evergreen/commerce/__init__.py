"""Commerce: products, price rules and catalogs (started with its pure decisions)."""
