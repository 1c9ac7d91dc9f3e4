"""graphql_api.transport: GraphQL multipart requests (file uploads) over real HTTP.

The GraphQL multipart request specification: ``operations`` + ``map`` + file parts, each
file put into the variables as a Starlette ``UploadFile``; mutations only, with a limit of
their own, and never as a simple cross-site request (a preflight header is required).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import strawberry
import uvicorn
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from strawberry.file_uploads import Upload

from graphql_api.transport import graphql_route

CSRF = {"X-CSRF-Token": "token-from-login"}
UPLOAD = "mutation($file: Upload!) { upload(file: $file) }"

seen: list[Any] = []  # what the resolvers received, to check types and closing


@dataclass
class Context:
    request: Request
    response: Response


def _describe(value: Any) -> str:
    seen.append(value)
    if not isinstance(value, UploadFile):
        return f"not a file: {type(value).__name__}"
    value.file.seek(0)
    digest = hashlib.sha256(value.file.read()).hexdigest()
    return f"{value.filename}|{value.content_type}|{value.size}|{digest}"


@strawberry.type
class Query:
    @strawberry.field
    def hello(self, file: Upload | None = None) -> str:
        return "hello"


@strawberry.type
class Mutation:
    @strawberry.mutation
    def upload(self, file: Upload) -> str:
        return _describe(file)

    @strawberry.mutation
    def upload_many(self, files: list[Upload], note: str = "") -> list[str]:
        return [f"{note}:{_describe(f)}" for f in files]

    @strawberry.mutation
    def upload_optional(self, file: Upload | None = None) -> str:
        return "none" if file is None else _describe(file)


SCHEMA = strawberry.Schema(query=Query, mutation=Mutation)


async def make_context(request: Request, response: Response) -> Context:
    return Context(request=request, response=response)


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    routes = [
        graphql_route(SCHEMA, context_factory=make_context, graphiql=False),
        graphql_route(
            SCHEMA,
            path="/graphql-small",
            context_factory=make_context,
            graphiql=False,
            max_body_bytes=300,
            max_upload_bytes=4000,
            max_upload_files=2,
        ),
    ]
    config = uvicorn.Config(
        Starlette(routes=routes), host="127.0.0.1", port=0, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(10):
            while not server.started:
                if task.done():
                    task.result()
                await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as c:
            yield c
    finally:
        seen.clear()
        server.should_exit = True
        await task


async def send(
    client: httpx.AsyncClient,
    operations: Any,
    file_map: Any,
    files: dict[str, tuple[str, bytes, str]],
    *,
    path: str = "/graphql",
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    data = {
        "operations": operations if isinstance(operations, str) else json.dumps(operations),
        "map": file_map if isinstance(file_map, str) else json.dumps(file_map),
    }
    return await client.post(
        path, data=data, files=files, headers=CSRF if headers is None else headers
    )


def single(query: str = UPLOAD) -> dict[str, Any]:
    return {"query": query, "variables": {"file": None}}


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ------------------------------------------------------------------------ accepted


async def test_one_file_reaches_the_resolver_as_an_upload_file(client):
    content = "姓名,公民身份号码\n张三,500112198503120238\n".encode()
    response = await send(
        client, single(), {"0": ["variables.file"]}, {"0": ("名单.csv", content, "text/csv")}
    )
    assert response.status_code == 200, response.text
    assert (
        response.json()["data"]["upload"] == f"名单.csv|text/csv|{len(content)}|{digest(content)}"
    )


async def test_a_large_file_is_spooled_to_disk_and_arrives_whole(client):
    content = bytes(range(256)) * 12_000  # ~3 MB: past the 1 MB in-memory spool
    response = await send(
        client,
        single(),
        {"0": ["variables.file"]},
        {"0": ("photos.zip", content, "application/zip")},
        headers={"Authorization": "Bearer abc"},  # a bearer request needs no CSRF token
    )
    assert response.status_code == 200, response.text
    assert response.json()["data"]["upload"].endswith(f"|{len(content)}|{digest(content)}")


async def test_files_in_a_list_and_one_file_in_two_places(client):
    operations = {
        "query": "mutation($files: [Upload!]!, $n: String!) { uploadMany(files: $files, note: $n) }",
        "variables": {"files": [None, None, None], "n": "x"},
        "operationName": None,
    }
    file_map = {"a": ["variables.files.0", "variables.files.2"], "b": ["variables.files.1"]}
    files = {"a": ("a.txt", b"AAA", "text/plain"), "b": ("b.txt", b"BB", "text/plain")}
    response = await send(client, operations, file_map, files)
    assert response.status_code == 200, response.text
    assert [line.split("|")[0] for line in response.json()["data"]["uploadMany"]] == [
        "x:a.txt",
        "x:b.txt",
        "x:a.txt",
    ]


async def test_optional_upload_may_stay_null_and_files_are_closed_afterwards(client):
    operations = {
        "query": "mutation($file: Upload) { uploadOptional(file: $file) }",
        "variables": {"file": None},
    }
    # A part the map does not name is not put anywhere.
    response = await send(client, operations, {}, {"x": ("x.txt", b"x", "text/plain")})
    assert response.json()["data"]["uploadOptional"] == "none", response.text
    response = await send(
        client, single(), {"0": ["variables.file"]}, {"0": ("a.bin", b"\x00\x01", "x/y")}
    )
    assert response.status_code == 200
    assert isinstance(seen[-1], UploadFile) and seen[-1].file.closed


async def test_json_and_multipart_have_separate_limits(client):
    padded = {"query": UPLOAD, "variables": {"file": None, "pad": "x" * 100}}
    content = b"y" * 2500  # over the JSON limit (300), under the upload limit (4000)
    ok = await send(
        client,
        padded,
        {"0": ["variables.file"]},
        {"0": ("a.csv", content, "text/csv")},
        path="/graphql-small",
    )
    assert ok.status_code == 200, ok.text
    too_big_json = await client.post(
        "/graphql-small", json={"query": "{ hello }", "variables": {"pad": "x" * 400}}
    )
    assert too_big_json.status_code == 413


# ------------------------------------------------------------------------ refused


async def test_without_a_preflight_header_nothing_is_read_or_run(client):
    response = await send(
        client, single(), {"0": ["variables.file"]}, {"0": ("a.csv", b"a", "text/csv")}, headers={}
    )
    assert response.status_code == 400
    assert "X-CSRF-Token or Authorization" in response.json()["errors"][0]["message"]
    assert seen == []


async def test_queries_are_refused_over_multipart(client):
    operations = {
        "query": "query($file: Upload) { hello(file: $file) }",
        "variables": {"file": None},
    }
    response = await send(
        client, operations, {"0": ["variables.file"]}, {"0": ("a.csv", b"a", "text/csv")}
    )
    assert response.status_code == 400
    assert "mutation" in response.json()["errors"][0]["message"]
    assert "data" not in response.json()


async def test_get_with_a_multipart_body_is_405(client):
    response = await client.request(
        "GET",
        "/graphql",
        params={"query": "{ hello }"},
        headers={"Content-Type": "multipart/form-data; boundary=x", **CSRF},
    )
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"


async def test_too_large_uploads_are_413_declared_or_streamed(client):
    content = b"z" * 5000
    declared = await send(
        client,
        single(),
        {"0": ["variables.file"]},
        {"0": ("a.csv", content, "text/csv")},
        path="/graphql-small",
    )
    assert declared.status_code == 413

    boundary = "----ecertboundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n'
            f"{json.dumps(single())}\r\n"
            f'--{boundary}\r\nContent-Disposition: form-data; name="map"\r\n\r\n'
            '{"0": ["variables.file"]}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="0"; filename="a.csv"\r\n'
            "Content-Type: text/csv\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )

    async def chunked() -> AsyncIterator[bytes]:  # no Content-Length
        for start in range(0, len(body), 1000):
            yield body[start : start + 1000]

    streamed = await client.post(
        "/graphql-small",
        content=chunked(),
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}", **CSRF},
    )
    assert streamed.status_code == 413
    assert seen == []


async def test_too_many_files_is_400(client):
    files = {str(i): (f"{i}.txt", b"x", "text/plain") for i in range(3)}
    operations = {
        "query": "mutation($files: [Upload!]!) { uploadMany(files: $files) }",
        "variables": {"files": [None, None, None]},
    }
    file_map = {str(i): [f"variables.files.{i}"] for i in range(3)}
    response = await send(client, operations, file_map, files, path="/graphql-small")
    assert response.status_code == 400
    assert "files" in response.json()["errors"][0]["message"].lower()


@pytest.mark.parametrize(
    ("operations", "file_map", "fragment"),
    [
        ("{not json", {"0": ["variables.file"]}, "operations"),
        ([single(), single()], {"0": ["0.variables.file"]}, "Batch"),
        ({"variables": {"file": None}}, {"0": ["variables.file"]}, "query"),
        (single(), "[1]", "map"),
        (single(), {"0": []}, "map"),
        (single(), {"1": ["variables.file"]}, "'1'"),
        (single(), {"0": ["query"]}, "variables"),
        (single(), {"0": ["variables.other"]}, "variables.other"),
        ({"query": UPLOAD, "variables": {"file": "x"}}, {"0": ["variables.file"]}, "null"),
        ({"query": UPLOAD, "variables": [None]}, {"0": ["variables.0"]}, "object"),
        ({"query": UPLOAD}, {"0": ["variables.file"]}, "variables"),
    ],
)
async def test_malformed_multipart_requests_are_400(client, operations, file_map, fragment):
    response = await send(client, operations, file_map, {"0": ("a.csv", b"a", "text/csv")})
    assert response.status_code == 400, response.text
    body = response.json()
    assert set(body) == {"errors", "extensions"}
    assert fragment in body["errors"][0]["message"]
    assert seen == []


async def test_missing_fields_and_broken_bodies_are_400(client):
    no_map = await client.post(
        "/graphql",
        data={"operations": json.dumps(single())},
        files={"0": ("a.csv", b"a", "text/csv")},
        headers=CSRF,
    )
    assert no_map.status_code == 400
    broken = await client.post(
        "/graphql",
        content=b"--x\r\nnot a part",
        headers={"Content-Type": "multipart/form-data; boundary=x", **CSRF},
    )
    assert broken.status_code == 400
    no_boundary = await client.post(
        "/graphql", content=b"", headers={"Content-Type": "multipart/form-data", **CSRF}
    )
    assert no_boundary.status_code == 400


async def test_other_content_types_stay_415(client):
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/mixed"):
        response = await client.post(
            "/graphql",
            content=b'{"query": "{ hello }"}',
            headers={"Content-Type": content_type, **CSRF},
        )
        assert response.status_code == 415, content_type
