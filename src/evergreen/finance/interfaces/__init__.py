"""Finance's interfaces: the JSON API, the command line, request schemas and charts."""
