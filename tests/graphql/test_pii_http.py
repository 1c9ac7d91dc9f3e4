"""Through GraphQL, the owner sees the same account before and after the PII key rotation:
full ID number in `me`, masked ID and mobile numbers; the database holds none in clear."""

from __future__ import annotations

import base64

from tortoise import Tortoise

from schema.http_edge.deps import build_deps
from schema.http_edge.settings import load_settings
from schema.pii import PiiProtector
from schema.services.pii_rotation import rotate_pii_key
from tests.support.client import ApiClient, in_process
from tests.support.factories import ID_MALE_1985, NOW, PASSWORD
from tests.support.settings import test_environ

REGISTER = """
mutation($input: RegisterAccountInput!) {
  registerAccount(input: $input) {
    __typename
    ... on RegisterAccountSuccess { account { idNumberMasked mobileMasked } }
  }
}"""
ME = "{ me { name idNumber idNumberMasked mobileMasked } }"
NEW_KEY = bytes([7]) * 32


async def test_me_shows_the_same_before_and_after_rotating_the_key(api: ApiClient, db, deps):
    body = await api.execute(
        REGISTER,
        {
            "input": {
                "name": "张三",
                "idNumber": ID_MALE_1985,
                "mobile": "+86 138 1234 1234",
                "password": PASSWORD,
                "smsCode": await api.sms_code("+86 138 1234 1234"),
            }
        },
    )
    assert body["data"]["registerAccount"]["account"] == {
        "idNumberMasked": "5001**********0238",
        "mobileMasked": "138****1234",
    }
    me = await (await api.login(ID_MALE_1985)).data(ME)
    assert me["me"] == {
        "name": "张三",
        "idNumber": ID_MALE_1985,
        "idNumberMasked": "5001**********0238",
        "mobileMasked": "138****1234",
    }
    _, rows = await Tortoise.get_connection("default").execute_query("SELECT * FROM account")
    assert "13812341234" not in repr([dict(r) for r in rows])

    rotating = PiiProtector(
        hmac_key=bytes([1]) * 32,
        encryption_key=NEW_KEY,
        previous_encryption_keys=[deps.settings.pii_encryption_key.reveal()],
    )
    await rotate_pii_key(pii=rotating, now=NOW)

    # The service restarted with the new key only (the old one removed).
    settings = load_settings(
        test_environ(
            database_url=db,
            data_dir=str(deps.settings.data_dir),
            ECERT_PII_ENCRYPTION_KEY=base64.urlsafe_b64encode(NEW_KEY).decode(),
        )
    )
    async with in_process(build_deps(settings)) as rotated:
        assert await (await rotated.login(ID_MALE_1985)).data(ME) == me
