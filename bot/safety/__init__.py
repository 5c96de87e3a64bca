"""Safety: bound input, redact credentials, spot private vulnerability reports, escape output, rate-limit.

Pure functions and small models, no Slack and no I/O. Order the core applies them in:
`bounds.bound_input` -> `secrets.redact_secrets` -> `disclosure` (on the redacted text) -> matcher;
`escaping.escape_mrkdwn` on anything user-supplied that is rendered.
"""
