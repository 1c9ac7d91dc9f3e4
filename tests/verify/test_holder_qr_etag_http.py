"""The holder's QR files carry their content hash as a strong ETag (over real HTTP): sent
back in If-None-Match it gets 304 with no body; caching stays private; no one else learns
anything from a tag."""

from __future__ import annotations

import hashlib

from schema.http_edge.deps import Deps
from tests.support.client import ApiClient
from tests.support.factories import ID_MALE_1985
from tests.support.flows import issue_yubei_certificate, make_people


async def test_qr_files_answer_304_to_their_own_etag(server: ApiClient, deps: Deps) -> None:
    cert = await issue_yubei_certificate(deps, await make_people(deps))
    auth = {"Authorization": f"Bearer {(await server.login(ID_MALE_1985)).token}"}
    png_path = f"/certificates/{cert.cert_id}/qr.png"
    svg_path = f"/certificates/{cert.cert_id}/qr.svg"

    png = await server.http.get(png_path, headers=auth)
    assert png.status_code == 200
    etag = png.headers["etag"]
    assert etag == f'"{hashlib.sha256(png.content).hexdigest()}"'
    assert png.headers["cache-control"].startswith("private")

    for sent in (etag, f"W/{etag}", f'"{"0" * 64}", {etag}', "*"):
        same = await server.http.get(png_path, headers={**auth, "If-None-Match": sent})
        assert same.status_code == 304, sent
        assert same.content == b""
        assert same.headers["etag"] == etag
        assert same.headers["cache-control"].startswith("private")

    other = await server.http.get(png_path, headers={**auth, "If-None-Match": f'"{"0" * 64}"'})
    assert other.status_code == 200 and other.content == png.content

    svg = await server.http.get(svg_path, headers={**auth, "If-None-Match": etag})
    assert svg.status_code == 200, "the SVG has a tag of its own"
    assert svg.headers["etag"] == f'"{hashlib.sha256(svg.content).hexdigest()}"'
    assert (
        await server.http.get(svg_path, headers={**auth, "If-None-Match": svg.headers["etag"]})
    ).status_code == 304

    # Without a login a tag is worth nothing: 401, not 304.
    anonymous = await server.http.get(png_path, headers={"If-None-Match": etag})
    assert anonymous.status_code == 401 and "etag" not in anonymous.headers
