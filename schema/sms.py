"""Sending text messages (one-time codes) through a pluggable SMS provider.

A provider is any object with ``async send(mobile, text)`` (:class:`SmsProvider`). The setting
``ECERT_SMS_PROVIDER`` chooses it (``schema.http_edge.settings``):

* ``log`` — :class:`LogSmsProvider`, the development provider: nothing is sent; the message is
  written to the log at INFO, marked ``DEVELOPMENT SMS (not sent)``, and kept in an in-memory
  outbox that tests read. The default outside production; refused in production (codes in a
  log are codes anyone with the log can use).
* ``none`` — :class:`DisabledSmsProvider`: every send is refused with :class:`SmsUnavailable`
  (the service answers ``SMS_UNAVAILABLE``). The default in production until a real provider
  is configured, so a production service starts (verification, review, imports keep working)
  but never pretends to have sent a code.
* ``package.module:factory`` — a real gateway: ``factory()`` (no arguments) returns the
  provider. It is imported when the settings are loaded, so a wrong path stops the start.
"""

from __future__ import annotations

import importlib
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from schema.rules import mask_mobile

__all__ = [
    "DisabledSmsProvider",
    "LogSmsProvider",
    "SentSms",
    "SmsProvider",
    "SmsUnavailable",
    "build_sms_provider",
    "check_provider_spec",
]

logger = logging.getLogger("ecert.sms")

DEVELOPMENT = "log"
DISABLED = "none"


class SmsUnavailable(Exception):
    """The message could not be sent (no provider configured, or the gateway refused it).
    The text is for the operator's log, never for the user."""


@runtime_checkable
class SmsProvider(Protocol):
    """What the service needs of an SMS gateway."""

    async def send(self, mobile: str, text: str) -> None:
        """Send ``text`` to the 11-digit ``mobile``; raise :class:`SmsUnavailable` if not sent."""
        ...


@dataclass(frozen=True, slots=True)
class SentSms:
    mobile: str
    text: str


class LogSmsProvider:
    """Development provider: logs the message (INFO, clearly marked) and keeps the last
    ``keep`` messages in ``outbox``, newest last. Nothing leaves the machine."""

    def __init__(self, *, keep: int = 200) -> None:
        self.outbox: deque[SentSms] = deque(maxlen=keep)

    def __repr__(self) -> str:
        return "LogSmsProvider(development)"

    async def send(self, mobile: str, text: str) -> None:
        self.outbox.append(SentSms(mobile, text))
        logger.info(
            "DEVELOPMENT SMS (not sent, ECERT_SMS_PROVIDER=log) to %s: %s",
            mask_mobile(mobile),
            text,
        )

    def last_to(self, mobile: str) -> SentSms | None:
        """The newest message sent to ``mobile`` (tests and local development)."""
        for sent in reversed(self.outbox):
            if sent.mobile == mobile:
                return sent
        return None


class DisabledSmsProvider:
    """No provider configured: every send is refused."""

    def __repr__(self) -> str:
        return "DisabledSmsProvider()"

    async def send(self, mobile: str, text: str) -> None:
        raise SmsUnavailable(
            "no SMS provider is configured (ECERT_SMS_PROVIDER=none): set "
            "ECERT_SMS_PROVIDER=package.module:factory to a real gateway"
        )


def _import_factory(spec: str) -> Callable[[], object]:
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise ValueError(
            f"ECERT_SMS_PROVIDER must be log, none or package.module:factory, not {spec!r}"
        )
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ValueError(f"ECERT_SMS_PROVIDER: cannot import {module_name}: {exc}") from None
    factory = getattr(module, attr, None)
    if not callable(factory):
        raise ValueError(f"ECERT_SMS_PROVIDER: {module_name} has no callable {attr}")
    return factory


def check_provider_spec(spec: str, *, production: bool) -> str:
    """The setting, checked (``ValueError`` with a one-line reason otherwise)."""
    if spec == DEVELOPMENT:
        if production:
            raise ValueError(
                "ECERT_SMS_PROVIDER=log only logs codes (development): production needs a "
                "real provider (package.module:factory) or none"
            )
        return spec
    if spec == DISABLED:
        return spec
    _import_factory(spec)
    return spec


def build_sms_provider(spec: str) -> SmsProvider:
    """The provider the (checked) setting names."""
    if spec == DEVELOPMENT:
        return LogSmsProvider()
    if spec == DISABLED:
        logger.warning(
            "no SMS provider configured (ECERT_SMS_PROVIDER=none): one-time codes cannot be "
            "sent, so registration, password reset and the login second factor are refused"
        )
        return DisabledSmsProvider()
    factory = _import_factory(spec)
    provider = factory()
    if not isinstance(provider, SmsProvider):
        raise ValueError(f"ECERT_SMS_PROVIDER: {spec}() did not return an SMS provider")
    return provider
