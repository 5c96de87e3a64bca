"""Slack: the Bolt app, the HTTP server and Socket Mode, Block Kit views and outgoing messages.

Listeners themselves live in the top-level `handlers/` package, wired by `bot.bootstrap`.
"""
