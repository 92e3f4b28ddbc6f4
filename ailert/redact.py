"""Masking secrets in log text before it leaves AIlert (Alertmanager annotations, LLM prompts).

One function, :func:`redact`. It masks private key blocks, credentials in URLs
(``user:pass@``), ``Authorization``/``Cookie`` headers and bearer tokens, JWTs, well-known API
key formats (AWS, GitHub, GitLab, Slack, Stripe, Google, OpenAI, npm, PyPI, Vault, SendGrid, …),
``password=`` / ``pwd:`` / ``token=`` / ``secret=`` / ``api_key=`` style pairs (plain, quoted
or JSON), e-mail addresses and payment card numbers. It errs on the side of masking: a
redacted word too many costs less than a leaked key. It is idempotent.
"""

from __future__ import annotations

import re

__all__ = ["MASK", "redact"]

MASK = "<redacted>"
EMAIL_MASK = "<email>"
CARD_MASK = "<card>"

_PRIVATE_KEY = re.compile(
    r"-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY( BLOCK)?-----.*?"
    r"(?:-----END [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----|\Z)",
    re.DOTALL,
)
_URL_CREDENTIALS = re.compile(r"\b([a-zA-Z][a-zA-Z0-9+.-]*://)([^/\s:@]*):([^/\s@]+)@")
_HEADER = re.compile(
    r"(?i)\b((?:proxy-)?authorization|x-api-key|x-auth-token|api-key|(?:set-)?cookie)"
    r"(\"?\s*[:=]\s*\"?)[^\r\n\"]+"
)
_BEARER = re.compile(r"(?i)\b(bearer|basic|token)(\s+)[A-Za-z0-9._~+/=-]{8,}")
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")
_TOKENS = re.compile(
    "|".join(
        (
            r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA|ABIA|ACCA)[A-Z0-9]{16}\b",  # AWS ids
            r"\bgh[pousr]_[A-Za-z0-9]{30,}\b",  # GitHub tokens
            r"\bgithub_pat_[A-Za-z0-9_]{20,}\b",
            r"\bglpat-[A-Za-z0-9_-]{20,}\b",  # GitLab
            r"\bxox[abposre]-[A-Za-z0-9-]{10,}\b",  # Slack tokens
            r"https://hooks\.slack\.com/services/[A-Za-z0-9/_-]+",  # Slack webhooks
            r"\b[rsp]k_(?:live|test)_[A-Za-z0-9]{16,}\b",  # Stripe
            r"\bAIza[0-9A-Za-z_-]{30,40}\b",  # Google API keys
            r"\bya29\.[0-9A-Za-z_-]{20,}\b",  # Google OAuth access tokens
            r"\bsk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}\b",  # OpenAI / Anthropic style
            r"\bnpm_[A-Za-z0-9]{36}\b",  # npm
            r"\bpypi-[A-Za-z0-9_-]{40,}\b",  # PyPI
            r"\bhv[sbr]\.[A-Za-z0-9_-]{20,}\b",  # HashiCorp Vault
            r"\bSG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}\b",  # SendGrid
            r"\bshp(?:at|ss|ca|pa)_[a-fA-F0-9]{32}\b",  # Shopify
            r"\bkey-[0-9a-zA-Z]{32}\b",  # Mailgun
            r"\bdop_v1_[a-f0-9]{64}\b",  # DigitalOcean
        )
    )
)
_KEY_NAMES = (
    r"[\w.-]*(?:password|passwd|passphrase|pwd|secret|token|api[_-]?key|apikey"
    r"|(?:access|account|shared[_-]?access|signing|encryption|master|private)[_-]?key"
    r"|credentials?|session[_-]?id|sessionid)[\w.-]*"
)
_PAIR = re.compile(
    r"(?i)(\b" + _KEY_NAMES + r"[\"']?\s*(?:=|:)\s*)"
    r"(\"[^\"]*\"|'[^']*'|[^\s,;&)}\]\"']+)"
)
_FLAG = re.compile(r"(?i)(--?(?:password|passwd|pwd|token|secret|api-key|apikey)[ =])\S+")
_EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
_CARD = re.compile(r"(?<![\d.-])(?:\d[ -]?){12,18}\d(?![\d.-])")


def _luhn(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _card(match: re.Match[str]) -> str:
    text = match.group(0)
    digits = re.sub(r"[ -]", "", text)
    if not 13 <= len(digits) <= 19:
        return text
    grouped = bool(re.fullmatch(r"\d{4}([ -])\d{4}\1\d{4}(?:\1\d{1,7})?", text))
    if grouped or (digits[0] in "23456" and _luhn(digits)):
        return CARD_MASK
    return text


def _pair(match: re.Match[str]) -> str:
    value = match.group(2)
    if value in (MASK, f'"{MASK}"', f"'{MASK}'"):
        return match.group(0)
    quote = value[0] if value[:1] in ("'", '"') else ""
    return f"{match.group(1)}{quote}{MASK}{quote}"


def redact(text: str) -> str:
    """``text`` with secrets, e-mail addresses and card numbers masked."""
    if not text:
        return text
    text = _PRIVATE_KEY.sub(f"-----BEGIN PRIVATE KEY----- {MASK} -----END PRIVATE KEY-----", text)
    text = _URL_CREDENTIALS.sub(lambda m: f"{m.group(1)}{m.group(2)}:{MASK}@", text)
    text = _HEADER.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", text)
    text = _JWT.sub(MASK, text)
    text = _BEARER.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", text)
    text = _TOKENS.sub(MASK, text)
    text = _FLAG.sub(lambda m: f"{m.group(1)}{MASK}", text)
    text = _PAIR.sub(_pair, text)
    text = _EMAIL.sub(EMAIL_MASK, text)
    return _CARD.sub(_card, text)
