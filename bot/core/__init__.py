"""The Slack-agnostic core: settings, knowledge, text pipeline, matching, routing, the reply and `Service`.

The path of one question, top-down: `service.Service.answer` -> `brain.Brain` (matcher, router,
private-report check) -> `reply.Reply` -> rendered by `render` (plain text) or `bot.slack.blocks`.
"""
