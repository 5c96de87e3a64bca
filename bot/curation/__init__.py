"""Curation: turn what people asked into documentation issues and knowledge patches.

`bot.curation.suggest.suggest` proposes alternates from real use, checked against the eval sets;
`bot.curation.cli.run_suggest` is `sigsec-bot suggest`. Doc-issue drafts live in `bot.reports.issues`.
"""
