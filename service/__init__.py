"""User-facing layer: the ``relief`` command line and (issue 6) the HTTP service."""
