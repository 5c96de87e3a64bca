"""Slack's Block Kit limits, and `validate_blocks`: does a rendered message (or view) stay inside them?"""

from __future__ import annotations

from typing import Any, Sequence

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

SECTION_LIMIT = 3000
HEADER_LIMIT = 150
BUTTON_TEXT_LIMIT = 75
BUTTON_VALUE_LIMIT = 2000
CONTEXT_TEXT_LIMIT = 2000
MESSAGE_BLOCK_LIMIT = 50
VIEW_BLOCK_LIMIT = 100


def validate_blocks(blocks: Sequence[Block | dict] | View, *, limit: int = MESSAGE_BLOCK_LIMIT) -> list[str]:
    """Problems with a message (or view) against Slack's limits; [] when it would be accepted."""
    if isinstance(blocks, View):
        blocks, limit = blocks.blocks or [], VIEW_BLOCK_LIMIT
    problems: list[str] = []
    if not blocks:
        problems.append("no blocks")
    if len(blocks) > limit:
        problems.append(f"{len(blocks)} blocks; Slack allows {limit}")
    for index, block in enumerate(blocks):
        try:
            data = block.to_dict() if isinstance(block, Block) else block
        except Exception as exc:  # slack_sdk's own validators (SlackObjectFormationError)
            problems.append(f"block {index}: {exc}")
            continue
        problems.extend(f"block {index}: {p}" for p in _check_block(data))
    return problems


def _check_block(block: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    kind = block.get("type")
    if kind == "section":
        text = (block.get("text") or {}).get("text", "")
        if len(text) > SECTION_LIMIT:
            problems.append(f"section text has {len(text)} characters")
        if block.get("accessory"):
            problems.extend(_check_element(block["accessory"]))
    elif kind == "header" and len(block["text"]["text"]) > HEADER_LIMIT:
        problems.append("header text too long")
    elif kind == "context":
        if len(block.get("elements", [])) > 10:
            problems.append("context has more than 10 elements")
        for element in block.get("elements", []):
            if len(element.get("text", "")) > CONTEXT_TEXT_LIMIT:
                problems.append("context text too long")
    elif kind == "actions":
        elements = block.get("elements", [])
        if len(elements) > 25:
            problems.append("actions block has more than 25 elements")
        ids = [e.get("action_id") for e in elements]
        if len(ids) != len(set(ids)):
            problems.append("duplicate action_id in one actions block")
        for element in elements:
            problems.extend(_check_element(element))
    return problems


def _check_element(element: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    if element.get("type") == "button":
        if len(element["text"]["text"]) > BUTTON_TEXT_LIMIT:
            problems.append("button text longer than 75")
        if len(element.get("value") or "") > BUTTON_VALUE_LIMIT:
            problems.append("button value longer than 2000")
        if len(element.get("action_id") or "") > 255:
            problems.append("action_id longer than 255")
    return problems
