"""The document cache: a text is parsed and validated once, refusals come back the same, and
the cache stays within its bounds."""

from __future__ import annotations

import strawberry
from graphql import parse

from graphql_api.document_cache import DocumentCache
from graphql_api.transport import limit_extensions


@strawberry.type
class Query:
    @strawberry.field
    def hello(self, name: str = "世界") -> str:
        return f"你好，{name}"


def _schema(cache: DocumentCache) -> strawberry.Schema:
    return strawberry.Schema(
        query=Query, extensions=[cache.extension(), *limit_extensions(max_aliases=2)]
    )


async def test_a_text_is_parsed_and_validated_once() -> None:
    cache = DocumentCache()
    schema = _schema(cache)
    query = "query($n: String) { hello(name: $n) }"
    first = await schema.execute(query, variable_values={"n": "张三"})
    kept = cache.get(query)
    assert kept is not None and kept.errors == ()
    second = await schema.execute(query, variable_values={"n": "李四"})
    assert cache.get(query) is kept  # not parsed again: the same document
    assert (first.data, second.data) == ({"hello": "你好，张三"}, {"hello": "你好，李四"})


async def test_a_refusal_is_kept_and_given_again() -> None:
    cache = DocumentCache()
    schema = _schema(cache)
    query = "{ a: hello b: hello c: hello }"  # three aliases, two allowed
    first = await schema.execute(query)
    second = await schema.execute(query)
    assert first.data is None and first.errors
    assert [e.formatted for e in first.errors] == [e.formatted for e in second.errors or []]
    assert cache.get(query) is not None
    # A syntax error is not kept (it is made again, the same).
    broken = "{ hello "
    assert (await schema.execute(broken)).errors
    assert cache.get(broken) is None


def test_the_cache_keeps_within_its_bounds() -> None:
    cache = DocumentCache(maxsize=3, max_chars=50)
    texts = [f"{{ hello(name: \"{i}\") }}" for i in range(5)]  # 20 characters each
    for text in texts:
        cache.put(text, parse(text), [])
    assert len(cache) == 2  # 3 texts would be 60 characters
    assert cache.get(texts[0]) is None and cache.get(texts[-1]) is not None
    cache.put("{ " + "hello " * 20 + "}", parse("{ hello }"), [])  # longer than the budget
    assert len(cache) == 2
