"""The web console: server-rendered pages over the same functions the REST API uses."""
