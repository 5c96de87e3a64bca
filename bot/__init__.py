"""sigsec-bot: a Slack-agnostic core that turns a security question into a reply.

Read top-down: `service.answer()` is the one entry point; it calls `guards` (bound, redact,
spot private reports), `matcher` (FAQ entry and confidence), `router` (owning group) and
`store` (question log), and returns a `reply.Reply` that `blocks` or the console render.
"""
