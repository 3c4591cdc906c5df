"""The HTTP service: a shared reserve registry and analyses run as jobs (issue 6, first part)."""
