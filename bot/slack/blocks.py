"""Reply -> Block Kit (slack_sdk.models.blocks); plain text is `bot.core.render`. No Slack I/O here.

Every piece of text that came from a user or a knowledge file goes through `escape_mrkdwn` before it is
placed in mrkdwn, and through `truncate_for_block` so each block stays inside Slack's limits.
`bot.slack.limits.validate_blocks` re-checks a rendered message against those limits (used by the tests).
"""

from __future__ import annotations

import json
from typing import Any, Iterable, Sequence

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.core import messages as M
from bot.safety.escaping import escape_mrkdwn, truncate_for_block
from bot.core.knowledge import FaqEntry, KnowledgeBase, Route
from bot.core.reply import Reply, ReplyKind
from bot.slack.limits import (  # noqa: F401 - Slack's limits, and the checker the tests use as B.validate_blocks
    BUTTON_TEXT_LIMIT, BUTTON_VALUE_LIMIT, CONTEXT_TEXT_LIMIT, HEADER_LIMIT, MESSAGE_BLOCK_LIMIT, SECTION_LIMIT,
    VIEW_BLOCK_LIMIT, validate_blocks)

MAX_SUGGESTIONS = 3

# action_ids the handlers listen for
FEEDBACK_YES = "feedback_yes"
FEEDBACK_NO = "feedback_no"
SUGGESTION_PREFIX = "suggest_"
ONBOARD_PREFIX = "onboard_"
HOME_ONBOARD = "home_onboard"
POST_IN_THREAD = "post_in_thread"  # the "Ask sigsec about this message" answer, posted publicly (handlers.shortcuts)
DRAFT_ISSUE_PREFIX = "home_draft_issue_"  # + the gap cluster's rank: opens its doc-issue draft (handlers.home)
FEEDBACK_REASON_VIEW = "feedback_reason"  # the "Not helpful" modal's callback_id
REASON_BLOCK, REASON_ACTION = "reason", "reason_choice"
COMMENT_BLOCK, COMMENT_ACTION = "comment", "comment_text"
COMMENT_LIMIT = 500
INTERESTS = tuple(M.SLACK_INTERESTS)  # docs, audits, tooling, vuln, question


# --------------------------------------------------------------------------- small helpers


def esc(text: str | None) -> str:
    return escape_mrkdwn(text or "")


def section(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=truncate_for_block(text, SECTION_LIMIT)))


def context(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=truncate_for_block(text, CONTEXT_TEXT_LIMIT))])


def header(text: str) -> HeaderBlock:
    return HeaderBlock(text=PlainTextObject(text=_cut(text, HEADER_LIMIT)))


def button(text: str, action_id: str, value: str = "", *, style: str | None = None) -> ButtonElement:
    if len(value) > BUTTON_VALUE_LIMIT:
        raise ValueError(f"button value has {len(value)} characters; Slack allows {BUTTON_VALUE_LIMIT}")
    return ButtonElement(text=PlainTextObject(text=_cut(text, BUTTON_TEXT_LIMIT)), action_id=action_id,
                         value=value or None, style=style)


def _cut(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def link(url: str, label: str | None = None) -> str:
    """A mrkdwn link; the URL is escaped and may not contain the '|' separator."""
    url = esc(url).replace("|", "%7C")
    return f"<{url}|{esc(label)}>" if label else f"<{url}>"


def encode_value(**fields: Any) -> str:
    """Compact JSON for a button's `value` (question id, FAQ id, ...)."""
    return json.dumps({k: v for k, v in fields.items() if v is not None}, separators=(",", ":"))


def decode_value(raw: str | None) -> dict[str, Any]:
    """Inverse of encode_value; {} for anything that is not a JSON object."""
    try:
        value = json.loads(raw or "")
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def human_channel(route: Route | None) -> str:
    return esc(route.channel) if route else M.SLACK_HOME_CHANNEL


# --------------------------------------------------------------------------- reply views


def reply_blocks(reply: Reply, *, knowledge: KnowledgeBase | None = None) -> list[Block]:
    """The public (or ephemeral, for private kinds) message for a reply; CVE facts, when carried, come first."""
    if reply.cve is not None and reply.kind is not ReplyKind.PRIVATE:
        from bot.cve.render import as_text  # escapes what the asker wrote (versions)

        return [section(truncate_for_block(as_text(reply.cve), SECTION_LIMIT))] + _content_blocks(reply, knowledge)
    return _content_blocks(reply, knowledge)


def _content_blocks(reply: Reply, knowledge: KnowledgeBase | None) -> list[Block]:
    kind = reply.kind
    if kind == ReplyKind.ANSWERED and reply.entry is None:
        return []  # answered by CVE facts alone
    if kind == ReplyKind.ANSWERED and reply.entry:
        return answer_blocks(reply.entry, question_id=reply.log_ref, route=_owner(reply, knowledge))
    if kind == ReplyKind.SUGGESTIONS and reply.suggestions:
        return suggestion_blocks(reply.suggestions, question_id=reply.log_ref, route=reply.route)
    if kind == ReplyKind.ROUTED and reply.route:
        return [section(M.ROUTED.format(name=esc(reply.route.name), channel=esc(reply.route.channel),
                                        link=esc(reply.route.link)))]
    if kind == ReplyKind.PRIVATE:
        if reply.suggestions:  # in case it was an ordinary question after all (shown privately too)
            return private_blocks() + [section(M.PRIVATE_FALLBACK),
                                       suggestion_buttons(reply.suggestions, question_id=reply.log_ref)]
        return private_blocks()
    # UNKNOWN and LIMITED: the core's own sentence (no user text in it), or the default one.
    return [section(reply.message or M.UNKNOWN.format(channel=human_channel(reply.route)))]


def _owner(reply: Reply, knowledge: KnowledgeBase | None) -> Route | None:
    if reply.route:
        return reply.route
    if knowledge and reply.entry and reply.entry.owner:
        return knowledge.route(reply.entry.owner)
    return None


def answer_blocks(entry: FaqEntry, *, question_id: int | str | None = None, route: Route | None = None,
                  feedback: bool = True) -> list[Block]:
    """Answer, its links, the owning group's pointer and "Was this helpful?" Yes/No."""
    blocks: list[Block] = [section(f"*{esc(entry.question)}*"), section(esc(entry.answer))]
    if entry.links:
        lines = "\n".join(f"• {link(url)}" for url in entry.links)
        blocks.append(section(f"{M.SLACK_LINKS_TITLE}\n{lines}"))
    if route:
        blocks.append(context(M.SLACK_OWNER_POINTER.format(name=esc(route.name), channel=esc(route.channel),
                                                           link=esc(route.link))))
    if feedback:
        blocks.extend(feedback_blocks(entry.id, question_id))
    return blocks


def feedback_blocks(faq_id: str, question_id: int | str | None) -> list[Block]:
    value = encode_value(q=question_id, f=faq_id)
    return [ActionsBlock(block_id="feedback", elements=[
        button(M.SLACK_HELPFUL_YES, FEEDBACK_YES, value, style="primary"),
        button(M.SLACK_HELPFUL_NO, FEEDBACK_NO, value),
    ]), context(M.SLACK_HELPFUL_PROMPT)]


def feedback_reason_view(private_metadata: str) -> dict[str, Any]:
    """The "Not helpful" modal: one required reason and an optional, bounded comment."""
    options = [{"text": {"type": "plain_text", "text": label}, "value": value}
               for value, label in M.SLACK_REASONS.items()]
    return {
        "type": "modal", "callback_id": FEEDBACK_REASON_VIEW, "private_metadata": private_metadata[:3000],
        "title": {"type": "plain_text", "text": _cut(M.SLACK_REASON_TITLE, 24)},
        "submit": {"type": "plain_text", "text": M.SLACK_REASON_SUBMIT},
        "close": {"type": "plain_text", "text": M.SLACK_REASON_CLOSE},
        "blocks": [
            as_dicts([section(M.SLACK_REASON_INTRO)])[0],
            {"type": "input", "block_id": REASON_BLOCK, "label": {"type": "plain_text", "text": M.SLACK_REASON_LABEL},
             "element": {"type": "radio_buttons", "action_id": REASON_ACTION, "options": options}},
            {"type": "input", "block_id": COMMENT_BLOCK, "optional": True,
             "label": {"type": "plain_text", "text": M.SLACK_REASON_COMMENT},
             "element": {"type": "plain_text_input", "action_id": COMMENT_ACTION, "multiline": True,
                         "max_length": COMMENT_LIMIT}},
        ],
    }


def feedback_reason_values(view: dict[str, Any]) -> tuple[str | None, str | None]:
    """(reason, raw comment) from a submitted modal; the reason is None unless it is one of ours. The
    comment keeps its lines: redact it (line structure matters to the redactor) before flattening it."""
    values = (view.get("state") or {}).get("values") or {}
    chosen = ((values.get(REASON_BLOCK) or {}).get(REASON_ACTION) or {}).get("selected_option") or {}
    reason = chosen.get("value") if chosen.get("value") in M.SLACK_REASONS else None
    comment = ((values.get(COMMENT_BLOCK) or {}).get(COMMENT_ACTION) or {}).get("value")
    return reason, comment if isinstance(comment, str) and comment.strip() else None


def suggestion_blocks(entries: Sequence[FaqEntry], *, question_id: int | str | None = None,
                      route: Route | None = None) -> list[Block]:
    """Up to three "Did you mean ...?" buttons that post the chosen answer."""
    return [section(M.SUGGESTIONS_INTRO), suggestion_buttons(entries, question_id=question_id),
            context(M.SLACK_SUGGESTIONS_FALLBACK.format(channel=human_channel(route)))]


def suggestion_buttons(entries: Sequence[FaqEntry], *, question_id: int | str | None = None) -> ActionsBlock:
    buttons = [button(M.SLACK_SUGGESTION_BUTTON.format(question=entry.question), f"{SUGGESTION_PREFIX}{i}",
                      encode_value(e=entry.id, q=question_id))
               for i, entry in enumerate(entries[:MAX_SUGGESTIONS])]
    return ActionsBlock(block_id="suggestions", elements=buttons)


def private_blocks() -> list[Block]:
    """How to report privately; asks to remove public details."""
    return [header(M.SLACK_PRIVATE_TITLE), section(M.PRIVATE_REPORT)]


def post_in_thread_blocks(value: str) -> list[Block]:
    """Under a privately shown answer: a button that posts it in the message's thread for everyone."""
    return [ActionsBlock(block_id="share", elements=[button("Post in thread", POST_IN_THREAD, value)]),
            context("Only you see this answer. *Post in thread* shares it in the message's thread.")]


_MRKDWN_NOTES = frozenset({M.PRIVATE_HINT})  # the core's own notes whose links must stay links


def notes_blocks(notes: Iterable[str]) -> list[Block]:
    """Private notes for the asker (secret redacted, input cut, ...); a note that may quote the user is escaped."""
    lines = "\n".join(f"• {note if note in _MRKDWN_NOTES else esc(note)}" for note in notes)
    return [section(f"{M.SLACK_PRIVATE_NOTE_TITLE}\n{lines}")]


def fallback_text(reply: Reply) -> str:
    """The notification text Slack shows next to the blocks (escaped, bounded)."""
    if reply.kind == ReplyKind.ANSWERED and reply.entry:
        return truncate_for_block(esc(reply.entry.question), SECTION_LIMIT)
    if reply.kind == ReplyKind.SUGGESTIONS:
        return M.SUGGESTIONS_INTRO
    if reply.kind == ReplyKind.PRIVATE:
        return M.SLACK_PRIVATE_TITLE
    if reply.kind == ReplyKind.ROUTED and reply.route:
        return M.ROUTED.format(name=esc(reply.route.name), channel=esc(reply.route.channel),
                               link=esc(reply.route.link))
    return reply.message or M.UNKNOWN.format(channel=human_channel(reply.route))


# --------------------------------------------------------------------------- commands, onboarding, home, report


def help_blocks(*, is_maintainer: bool, prefix: str | None = None) -> list[Block]:
    blocks: list[Block] = [section(prefix)] if prefix else []
    blocks.append(section(M.SLACK_HELP))
    if is_maintainer:
        blocks.append(section(M.SLACK_HELP_MAINTAINER))
    return blocks


def text_blocks(text: str) -> list[Block]:
    """A message of our own (already mrkdwn, already escaped where needed)."""
    return [section(text)]


def onboarding_blocks() -> list[Block]:
    """The welcome: what SIG Security does and doesn't, meetings, channels, subprojects, interest buttons."""
    return [
        header(M.SLACK_ONBOARD_TITLE),
        section(M.SLACK_ONBOARD_WHAT.format(email=M.SLACK_SECURITY_EMAIL)),
        section(M.SLACK_ONBOARD_MEET.format(sig_page=M.SLACK_SIG_PAGE, channel=M.SLACK_HOME_CHANNEL,
                                            list=M.SLACK_MAILING_LIST)),
        section(M.SLACK_ONBOARD_SUBPROJECTS),
        DividerBlock(),
        section(M.SLACK_ONBOARD_PICK),
        ActionsBlock(block_id="onboard", elements=[
            button(title, f"{ONBOARD_PREFIX}{key}", key) for key, (title, _) in M.SLACK_INTERESTS.items()]),
    ]


def interest_blocks(interest: str) -> list[Block]:
    """Concrete next steps and links for one onboarding interest (unknown -> the 'question' path)."""
    _, steps = M.SLACK_INTERESTS.get(interest, M.SLACK_INTERESTS["question"])
    return [section(steps)]


def report_blocks(text: str, *, title: str) -> list[Block]:
    """A rendered report (plain text) as preformatted sections, cut to fit a message."""
    blocks: list[Block] = [header(title)]
    chunks = _chunks(_preformatted(text), SECTION_LIMIT - 8)
    for chunk in chunks[: MESSAGE_BLOCK_LIMIT - 2]:
        blocks.append(section(f"```{chunk}```"))
    if len(chunks) > MESSAGE_BLOCK_LIMIT - 2:
        blocks.append(context("…"))
    return blocks


def reload_blocks(problems: Sequence[object], *, entries: int, routes: int) -> list[Block]:
    if not problems:
        return [section(M.SLACK_RELOAD_OK.format(entries=entries, routes=routes))]
    listing = "\n".join(_preformatted(str(p)) for p in problems[:40])
    more = f"\n… and {len(problems) - 40} more" if len(problems) > 40 else ""
    return [section(M.SLACK_RELOAD_FAILED.format(count=len(problems))), section(f"```{listing}{more}```")]


def home_view(*, popular: Sequence[tuple[FaqEntry, int]], report_text: str | None = None,
              report_days: int = 30, extra: Sequence[Block] = ()) -> View:
    """App Home: what the bot does, onboarding entry, popular questions; maintainers get a report summary."""
    blocks: list[Block] = [header(M.SLACK_HOME_TITLE), section(M.SLACK_HOME_INTRO), DividerBlock(),
                           SectionBlock(text=MarkdownTextObject(text=M.SLACK_HOME_ONBOARD),
                                        accessory=button(M.SLACK_HOME_ONBOARD_BUTTON, HOME_ONBOARD, "home",
                                                         style="primary")),
                           DividerBlock()]
    if popular:
        lines = "\n".join(f"• {esc(entry.question)} ({count})" for entry, count in popular[:10])
        blocks.append(section(f"{M.SLACK_HOME_POPULAR_TITLE}\n{lines}"))
    else:
        blocks.append(section(f"{M.SLACK_HOME_POPULAR_TITLE}\n{M.SLACK_HOME_POPULAR_NONE}"))
    if report_text is not None:
        blocks.append(DividerBlock())
        blocks.append(section(M.SLACK_HOME_REPORT_TITLE.format(days=report_days)))
        for chunk in _chunks(_preformatted(report_text), SECTION_LIMIT - 8)[:20]:
            blocks.append(section(f"```{chunk}```"))
    blocks.extend(extra[: VIEW_BLOCK_LIMIT - len(blocks)])  # e.g. the maintainers' doc-issue drafts
    return View(type="home", blocks=blocks)


def _preformatted(text: str) -> str:
    """Text for a ``` block: escaped, and no ``` of its own to close the block early (quoted questions)."""
    return esc(text).replace("```", "'''")


def _chunks(text: str, size: int) -> list[str]:
    """Split on line boundaries into pieces of at most `size` characters (never splitting an entity)."""
    chunks: list[str] = []
    current = ""
    for line in (text or " ").splitlines() or [" "]:
        while len(line) > size:
            cut = size
            amp = line.rfind("&", 0, cut)
            if amp != -1 and ";" not in line[amp:cut]:
                cut = amp or size
            piece, line = line[:cut], line[cut:]
            if current:
                chunks.append(current)
                current = ""
            chunks.append(piece)
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > size:
            chunks.append(current)
            current = line
        else:
            current = candidate
    if current or not chunks:
        chunks.append(current or " ")
    return chunks


# --------------------------------------------------------------------------- as sent


def as_dicts(blocks: Sequence[Block | dict]) -> list[dict[str, Any]]:
    return [b.to_dict() if isinstance(b, Block) else b for b in blocks]
