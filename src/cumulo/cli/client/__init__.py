"""Helpers of the CLI's client commands: they speak HTTP to cumulo's REST API.

Nothing here imports the server, the store or the engine: the CLI is a client
like orchent or a script, so it works against any INDIGO-compatible endpoint.
"""
