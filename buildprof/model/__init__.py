"""The typed records every stage agrees on: readers produce them, analysis reads and returns them,
renderers draw them. `ninja` and `traces` are what the readers give; `report` is the documents.
"""

SCHEMA_VERSION = 1  # of the JSON documents (docs/formats.md)
