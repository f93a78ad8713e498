"""A link written out and read in: the API's JSON shapes, CSV files and QR codes."""
