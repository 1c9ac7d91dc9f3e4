"""No secret reaches the logs during a whole, realistic flow over real HTTP.

Every logger is set to DEBUG (the database driver's query logs included) and uvicorn's own
access log is switched on, as the worst case an operator could configure; every record is
rendered with the production formatter (``JsonFormatter``: message, extras, traceback). The
flow: an applicant and staff are registered (the shared helpers), the applicant logs in
(bearer, then a cookie session with its CSRF token), registers a certificate step by step
and submits it; the reviewer approves; the holder reads ``me``, 我的证书 and the issued
certificate with its QR; failed logins (wrong password, unknown and malformed numbers); a
password change and a login with the new password; a cookie-session logout; the public
verification page and the lookup form. Then every line is searched for each secret used:
the full ID numbers, every password, every session and CSRF token issued, the PII keys and
the signing passphrase. A hit names the logger and the kind of secret, never the secret.
"""

from __future__ import annotations

import base64
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

from graphql_api.observability import JsonFormatter
from schema.http_edge.deps import Deps
from schema.models import Account
from schema.sms import LogSmsProvider
from schema.totp import TotpSealer
from tests.graphql.test_registration_http import APPROVE, MY_CERTS, submitted
from tests.support.client import LOGIN, ApiClient, Session
from tests.support.factories import ID_MALE_1985, PASSWORD
from tests.support.flows import (
    ADMIN_ID,
    REVIEWER_ID,
    SIGNER_ID,
    YUBEI_TITLE,
    make_people,
)
from tests.support.server import live_server

NEW_PASSWORD = "Jialing-2027#Renew"
WRONG_PASSWORD = "Wrong-Guess-2026!"
UNKNOWN_ID = "500112199001010017"  # well formed, no account
ME = "{ me { name idNumber idNumberMasked mobileMasked role } }"
ISSUED = """
query($certId: String!) {
  myIssuedCertificate(certId: $certId) { certId verificationUrl checkCode qrSvg qrPngBase64 }
}"""
CHANGE_PASSWORD = """
mutation($input: ChangePasswordInput!) { changePassword(input: $input) {
  __typename ... on UserErrors { errors { code } }
} }"""
LOGOUT = "mutation { logout { __typename } }"
# The test's own HTTP client logs the headers it sends and receives (a bearer token, the
# Set-Cookie of a login): those lines are the client's, not the service's.
_TEST_CLIENT_LOGGERS = frozenset({"httpx", "httpcore"})


class _Collector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.formatter_json = JsonFormatter()
        self.lines: list[tuple[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.split(".")[0] in _TEST_CLIENT_LOGGERS:
            return
        self.lines.append((record.name, self.formatter_json.format(record)))


@contextmanager
def every_log_line() -> Iterator[_Collector]:
    """Every logger at DEBUG into one collector (loggers that do not propagate too)."""
    collector = _Collector()
    manager = logging.root.manager
    loggers = [logging.root] + [
        logger for logger in manager.loggerDict.values() if isinstance(logger, logging.Logger)
    ]
    saved = [(logger, logger.level, logger.disabled) for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
        logger.disabled = False
    detached = [logger for logger in loggers if not logger.propagate]
    for logger in [logging.root, *detached]:
        logger.addHandler(collector)
    try:
        yield collector
    finally:
        for logger in [logging.root, *detached]:
            logger.removeHandler(collector)
        for logger, level, disabled in saved:
            logger.setLevel(level)
            logger.disabled = disabled


def _key_forms(raw: bytes) -> list[str]:
    return [
        base64.urlsafe_b64encode(raw).decode(),
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
        base64.b64encode(raw).decode(),
        raw.hex(),
    ]


async def _failed_login(live: ApiClient, id_number: str, password: str) -> None:
    body = await live.execute(LOGIN, {"input": {"idNumber": id_number, "password": password}})
    assert body["data"]["login"]["__typename"] == "UserErrors"


async def test_a_whole_flow_logs_no_secret(db: str, deps: Deps) -> None:
    secrets: dict[str, set[str]] = {
        "ID number": {ID_MALE_1985, REVIEWER_ID, ADMIN_ID, SIGNER_ID, UNKNOWN_ID},
        "password": {PASSWORD, NEW_PASSWORD, WRONG_PASSWORD},
        "session token": set(),
        "CSRF token": set(),
        "PII HMAC key": set(_key_forms(deps.settings.pii_hmac_key.reveal())),
        "PII encryption key": set(_key_forms(deps.settings.pii_encryption_key.reveal())),
        "signing passphrase": {deps.settings.signing_passphrase.reveal().decode()},
    }

    def issued(session: Session) -> Session:
        secrets["session token"].add(session.token)
        secrets["CSRF token"].add(session.csrf_token)
        return session

    with every_log_line() as logs:
        await make_people(deps)  # the applicant, a reviewer of 500112, admin, signer, a key
        async with live_server(deps, access_log=True) as live:
            holder = issued(await live.login(ID_MALE_1985))
            reg_id = await submitted(holder, title=YUBEI_TITLE)
            reviewer = issued(await live.login(REVIEWER_ID))
            approved = await reviewer.payload(APPROVE, {"id": reg_id})
            assert approved["__typename"] == "ApproveRegistrationSuccess", approved

            assert (await holder.data(ME))["me"]["idNumber"] == ID_MALE_1985
            (edge,) = (await holder.data(MY_CERTS))["myCertificates"]["edges"]
            cert_id = edge["node"]["certId"]
            view = (await holder.data(ISSUED, {"certId": cert_id}))["myIssuedCertificate"]
            assert (await holder.get(f"/certificates/{cert_id}/qr.png")).status_code == 200

            await _failed_login(live, ID_MALE_1985, WRONG_PASSWORD)
            await _failed_login(live, UNKNOWN_ID, PASSWORD)
            await _failed_login(live, ID_MALE_1985[:10], "")

            changed = await holder.payload(
                CHANGE_PASSWORD, {"oldPassword": PASSWORD, "newPassword": NEW_PASSWORD}
            )
            assert changed["__typename"] == "ChangePasswordSuccess", changed
            browser = issued(await live.login(ID_MALE_1985, NEW_PASSWORD, cookie=True))
            bye = await live.execute(LOGOUT, headers={"X-CSRF-Token": browser.csrf_token})
            assert bye["data"]["logout"]["__typename"] == "LogoutSuccess", bye

            url = urlsplit(view["verificationUrl"])
            page = await live.http.get(url.path)
            assert page.status_code == 200 and "有效" in page.text
            number = edge["node"]["number"]
            found = await live.http.post("/lookup", data={"number": number, "holderName": "张三"})
            assert found.status_code == 200

    # One-time SMS codes: the development provider (logger ``ecert.sms``) writes them to the
    # log by design (it stands in for the phone network: ECERT_SMS_PROVIDER=log, refused in
    # production); no other logger may. A code is six digits, so it counts only as a whole
    # number. Staff TOTP secrets may appear nowhere.
    sms = deps.sms
    assert isinstance(sms, LogSmsProvider)
    codes = {m.group(1) for sent in sms.outbox if (m := re.search(r"(\d{6})", sent.text))}
    assert codes, "the flow sent no SMS code: the check below would check nothing"
    totp_secrets = {
        TotpSealer(deps.pii).open(a.totp_secret_cipher)
        for a in await Account.filter(totp_secret_cipher__not_isnull=True)
        if a.totp_secret_cipher
    }
    assert totp_secrets, "no staff member enrolled TOTP: the check below would check nothing"
    secrets["TOTP secret"] = totp_secrets
    code_leaks = sorted(
        {
            f"an SMS code in a record of logger {name!r}"
            for name, line in logs.lines
            if name != "ecert.sms"
            and any(re.search(rf"(?<!\d){code}(?!\d)", line) for code in codes)
        }
    )
    assert not code_leaks, "SMS codes in the logs:\n" + "\n".join(code_leaks)

    names = {name for name, _ in logs.lines}
    # The capture works: the access logs, and the database driver's DEBUG query log.
    assert {"ecert.access", "uvicorn.access", "tortoise.db_client"} <= names, names
    leaks = sorted(
        {
            f"{kind} in a record of logger {name!r}"
            for name, line in logs.lines
            for kind, values in secrets.items()
            if any(value and value in line for value in values)
        }
    )
    assert not leaks, "secrets in the logs:\n" + "\n".join(leaks)
