"""Pure functions from parsed inputs to the numbers buildprof reports; no I/O here."""
