"""Pure financial models: what an income stream is worth, with no I/O at all."""
