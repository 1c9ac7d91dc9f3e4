"""CORS: ``Access-Control-Allow-Origin: *`` and preflight answers only on the public
verdict JSON, the JWK Set, the DID document, the document root and the status lists — never on GraphQL,
login, the holder's files, the lookup or the HTML page (verify_page/cors.py)."""

from __future__ import annotations

from tests.support.client import ApiClient
from tests.verify.verify_support import certificates_in_every_state, local_path

ORIGIN = {"Origin": "https://other.example"}
JSON = {**ORIGIN, "Accept": "application/json"}
PREFLIGHT = {
    **ORIGIN,
    "Access-Control-Request-Method": "GET",
    "Access-Control-Request-Headers": "accept",
}
ACAO = "access-control-allow-origin"


async def test_cors_only_where_allowed(api: ApiClient, deps) -> None:
    states = await certificates_in_every_state(deps)
    verdict = local_path(states.revoked.verification_url or "")
    status_list = f"/status/{states.valid.status_list_id}"

    allowed = {
        verdict: JSON,
        "/.well-known/jwks.json": ORIGIN,
        "/.well-known/did.json": ORIGIN,
        status_list: ORIGIN,
    }
    for path, headers in allowed.items():
        answer = await api.http.get(path, headers=headers)
        assert answer.status_code == 200, path
        assert answer.headers.get(ACAO) == "*", path
        preflight = await api.http.options(path, headers=PREFLIGHT)
        assert preflight.status_code == 204, path
        assert preflight.headers[ACAO] == "*"
        assert "GET" in preflight.headers["access-control-allow-methods"]
        assert "accept" in preflight.headers["access-control-allow-headers"].lower()
    assert (await api.http.get(verdict, headers=JSON)).json()["state"] == "REVOKED"
    root = await api.http.options("/.well-known/ecert-document-root.pem", headers=PREFLIGHT)
    assert root.status_code == 204 and root.headers[ACAO] == "*"

    refused = {
        "GET " + verdict: await api.http.get(verdict, headers=ORIGIN),  # the HTML page
        "POST /graphql": await api.http.post(
            "/graphql", json={"query": "{ __typename }"}, headers=JSON
        ),
        "POST /graphql login": await api.http.post(
            "/graphql",
            json={"query": 'mutation { login(idNumber: "x", password: "y") { __typename } }'},
            headers=JSON,
        ),
        "POST /lookup": await api.http.post(
            "/lookup", json={"number": "1", "holderName": "张三"}, headers=JSON
        ),
        "GET holder pdf": await api.http.get(
            f"/certificates/{states.valid.cert_id}/certificate.pdf", headers=ORIGIN
        ),
        "GET holder credential": await api.http.get(
            f"/certificates/{states.valid.cert_id}/credential.json", headers=ORIGIN
        ),
        "GET holder qr": await api.http.get(
            f"/certificates/{states.valid.cert_id}/qr.png", headers=ORIGIN
        ),
        "GET photo": await api.http.get(f"/V/{states.valid.cert_id}/photo", headers=ORIGIN),
        "OPTIONS /graphql": await api.http.options("/graphql", headers=PREFLIGHT),
        "OPTIONS /lookup": await api.http.options("/lookup", headers=PREFLIGHT),
    }
    for what, answer in refused.items():
        assert ACAO not in answer.headers, what
        assert "access-control-allow-methods" not in answer.headers, what


async def test_unknown_status_list_is_404_without_a_signature(api: ApiClient, deps) -> None:
    await certificates_in_every_state(deps)
    answer = await api.http.get("/status/999")
    assert answer.status_code == 404
    assert (await api.http.get("/status/abc")).status_code == 404
