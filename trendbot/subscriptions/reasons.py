"""Why a subscription was switched off, and how to fix it, in words.

Stored as ``"<code>: <detail>"`` in ``subscriptions.disabled_reason``; ``!subscriptions`` shows
the sentence and the fix. A subscription is never deleted by a fault: it waits, switched off,
until someone fixes the channel and subscribes again.
"""

from __future__ import annotations

# Discord error codes (https://discord.com/developers/docs/topics/opcodes-and-status-codes).
MISSING_ACCESS = 50001
MISSING_PERMISSIONS = 50013
UNKNOWN_CHANNEL = 10003

NEEDED = "View Channel, Send Messages, Embed Links, Attach Files and Read Message History"

_TEXT = {
    "missing_access": "I can't see this channel any more",
    "missing_permissions": "I may no longer post here",
    "unknown_channel": "Discord says this channel no longer exists",
    "channel_deleted": "the channel was deleted",
    "removed_from_server": "I was removed from this server",
}


def reason(code: str, detail: str = "") -> str:
    return f"{code}: {detail}" if detail else code


def for_http(status: int, code: int, text: str) -> str:
    """The reason for a Discord error that switches a subscription off (403 or 404)."""
    detail = f"Discord said {status} {text or 'error'}" + (f" (code {code})" if code else "")
    if status == 404:
        return reason("unknown_channel", detail)
    if code == MISSING_PERMISSIONS:
        return reason("missing_permissions", detail)
    return reason("missing_access", detail)


def explain(stored: str, channel: str, topic_label: str, prefix: str = "!") -> str:
    """'I may no longer post here (…). Fix: …' for one disabled subscription."""
    code, _, detail = stored.partition(": ")
    what = _TEXT.get(code, "posting failed")
    said = f" ({detail})" if detail else ""
    again = f"`{prefix}subscribe {topic_label} {channel}`"
    if code in ("unknown_channel", "channel_deleted"):
        fix = f"subscribe another channel: {again.replace(channel, '#other-channel')}"
    elif code == "removed_from_server":
        fix = f"invite me again, then {again}"
    else:
        fix = f"give me {NEEDED} in {channel}, then {again} to turn it back on"
    return f"{what}{said}. Fix: {fix}."
