"""The HTTP edge's rules without HTTP: the client address behind proxies, the per-client
token bucket, the query cost estimate, the edge settings and argon2 off the event loop."""

from __future__ import annotations

import asyncio

import pytest
from graphql import OperationDefinitionNode, TypeInfo, ValidationContext, parse, validate

from graphql_api.errors import query_too_complex
from graphql_api.query_cost import cost_limit_rule, operation_cost
from graphql_api.root import build_schema
from schema.http_edge.client import forwarded_client, parse_networks
from schema.http_edge.request_limit import TokenBucketLimiter
from schema.http_edge.settings import SettingsError, load_settings
from schema.passwords import DUMMY_HASH, hash_password, needs_rehash, verify_password
from tests.support.settings import test_environ

PROXIES = parse_networks(["10.0.0.0/8", "192.168.1.5"])

# ------------------------------------------------------------------ client address


@pytest.mark.parametrize(
    ("peer", "header", "client"),
    [
        # The proxy appended the real client after whatever the client sent itself.
        ("10.0.0.2", "6.6.6.6, 203.0.113.7", "203.0.113.7"),
        ("10.0.0.2", "203.0.113.7", "203.0.113.7"),
        # Two proxies of ours: both skipped, from the right.
        ("10.0.0.2", "1.1.1.1, 203.0.113.7, 192.168.1.5", "203.0.113.7"),
        ("10.0.0.2", "203.0.113.7 , 10.9.9.9", "203.0.113.7"),
        # A peer that is not our proxy: its header is its own writing.
        ("198.51.100.4", "203.0.113.7", "198.51.100.4"),
        # No header from our proxy: the proxy is the client as far as we know.
        ("10.0.0.2", "", "10.0.0.2"),
        # Garbage stops the walk at the last address a proxy of ours vouched for.
        ("10.0.0.2", "203.0.113.7, not-an-ip", "10.0.0.2"),
        # Every entry is ours (the proxy host itself asked): the leftmost one.
        ("10.0.0.2", "10.1.1.1", "10.1.1.1"),
        # Ports and brackets some proxies add; IPv4-mapped IPv6 peers.
        ("10.0.0.2", "203.0.113.7:51234", "203.0.113.7"),
        ("10.0.0.2", "[2001:db8::7]:443", "2001:db8::7"),
        ("::ffff:10.0.0.2", "203.0.113.7", "203.0.113.7"),
    ],
)
def test_the_client_is_the_rightmost_address_not_of_our_proxies(
    peer: str, header: str, client: str
) -> None:
    assert forwarded_client(peer, header, PROXIES) == client


def test_without_trusted_proxies_the_header_is_never_read() -> None:
    assert forwarded_client("10.0.0.2", "203.0.113.7", ()) == "10.0.0.2"


def test_a_rotating_leftmost_entry_never_changes_the_client() -> None:
    seen = {forwarded_client("10.0.0.2", f"198.18.0.{i}, 203.0.113.7", PROXIES) for i in range(30)}
    assert seen == {"203.0.113.7"}


def test_trusted_proxies_are_addresses_or_networks(tmp_path) -> None:
    env = test_environ(database_url="sqlite://:memory:", data_dir=str(tmp_path))
    settings = load_settings({**env, "ECERT_TRUSTED_PROXIES": "172.18.0.0/16, ::1"})
    assert [str(n) for n in settings.trusted_proxies] == ["172.18.0.0/16", "::1/128"]
    with pytest.raises(SettingsError, match="ECERT_TRUSTED_PROXIES: 'proxy' is not"):
        load_settings({**env, "ECERT_TRUSTED_PROXIES": "10.0.0.1,proxy"})


# ------------------------------------------------------------------ token bucket


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_client_gets_its_burst_then_the_refill_rate() -> None:
    clock = FakeClock()
    limiter = TokenBucketLimiter(per_minute=60, burst=3, clock=clock)
    assert [limiter.take("a") for _ in range(3)] == [None, None, None]
    assert limiter.take("a") == 1  # one token a second: retry in 1 s
    assert limiter.take("b") is None  # another address has its own bucket
    clock.now += 1.0
    assert limiter.take("a") is None
    assert limiter.take("a") == 1
    clock.now += 3600
    assert [limiter.take("a") for _ in range(4)] == [None, None, None, 1]  # never over burst


def test_retry_after_is_the_whole_seconds_until_a_token() -> None:
    clock = FakeClock()
    limiter = TokenBucketLimiter(per_minute=6, burst=1, clock=clock)  # a token per 10 s
    assert limiter.take("a") is None
    assert limiter.take("a") == 10
    clock.now += 2.5
    assert limiter.take("a") == 8


def test_memory_is_bounded_by_dropping_the_least_recent_client() -> None:
    limiter = TokenBucketLimiter(per_minute=1, burst=1, max_clients=2, clock=FakeClock())
    assert limiter.take("a") is None and limiter.take("b") is None
    assert limiter.take("c") is None  # "a" is forgotten …
    assert limiter.take("a") is None  # … and starts again with a full bucket
    assert limiter.take("c") is not None  # the recent ones are still counted


# ------------------------------------------------------------------ query cost

SCHEMA = build_schema()._schema


def cost(query: str) -> int:
    document = parse(query)
    assert validate(SCHEMA, document) == [], query
    context = ValidationContext(SCHEMA, document, TypeInfo(SCHEMA), lambda error: None)
    (operation,) = (d for d in document.definitions if isinstance(d, OperationDefinitionNode))
    return operation_cost(context, operation)


def test_aliases_and_fragments_add_up() -> None:
    one = cost("{ reference { levels { code name } } }")
    assert one == 1 + 1 + 10 * 2  # reference, levels, 10 (estimated) levels × 2 fields
    aliases = (
        "{ " + " ".join(f"r{i}: reference {{ levels {{ code name }} }}" for i in range(30)) + " }"
    )
    assert cost(aliases) == 30 * one
    spread = "fragment L on Reference { levels { code name } } { a: reference { ...L } b: reference { ...L } }"
    assert cost(spread) == 2 * one
    assert cost("{ __typename reference { __typename revision } }") == 2


def test_page_sizes_weigh_the_list_below_not_its_siblings() -> None:
    page = (
        "{ myRegistrations(first: 50) { edges { node { id status } } pageInfo { hasNextPage } } }"
    )
    # myRegistrations, edges (one list), node ×50, 2 fields ×50, pageInfo, hasNextPage
    assert cost(page) == 1 + 1 + 50 + 100 + 1 + 1
    default = "{ myRegistrations { edges { node { id } } } }"
    assert cost(default) == 1 + 1 + 20 + 20  # the argument's default, 20
    variable = "query($n: Int!) { myRegistrations(first: $n) { edges { node { id } } } }"
    assert cost(variable) == 1 + 1 + 100 + 100  # unknown until run: the most a page holds


def test_the_cost_rule_refuses_with_a_typed_chinese_error() -> None:
    rule = cost_limit_rule(100, query_too_complex)
    cheap = parse("{ reference { levels { code name } } }")
    assert validate(SCHEMA, cheap, [rule]) == []
    dear = parse(
        "{ " + " ".join(f"r{i}: reference {{ levels {{ code }} }}" for i in range(9)) + " }"
    )
    (error,) = validate(SCHEMA, dear, [rule])
    assert error.extensions == {"code": "QUERY_TOO_COMPLEX"}
    assert error.message.startswith("查询过于复杂（估算开销108，上限100）")


# ------------------------------------------------------------------ settings


def test_edge_settings_defaults_and_metrics_token_file(tmp_path) -> None:
    env = test_environ(database_url="sqlite://:memory:", data_dir=str(tmp_path))
    del env["ECERT_GRAPHQL_BURST"]  # the test servers' own allowance: the default is checked
    settings = load_settings(env)
    assert (settings.graphql_burst, settings.graphql_requests_per_minute) == (200, 600)
    assert settings.graphql_max_cost == 10_000 and settings.metrics_token is None
    assert settings.hsts  # the test origin is https
    token_file = tmp_path / "metrics_token"
    token_file.write_text("scrape-me-please-0123456789\n")
    from_file = load_settings({**env, "ECERT_METRICS_TOKEN_FILE": str(token_file)})
    assert from_file.metrics_token is not None
    assert from_file.metrics_token.reveal() == b"scrape-me-please-0123456789"
    with pytest.raises(SettingsError, match="at least 16"):
        load_settings({**env, "ECERT_METRICS_TOKEN": "short"})
    plain = load_settings({**env, "ECERT_PUBLIC_BASE_URL": "http://127.0.0.1:8000"})
    assert not plain.hsts


# ------------------------------------------------------------------ argon2


async def test_password_hashing_leaves_the_event_loop_free() -> None:
    """A hash runs off the event loop: after the loop has given the hashing task one turn,
    the task is still waiting (on its worker thread) and another coroutine runs meanwhile.
    Hashing on the loop would have finished the whole hash within that one turn."""
    order: list[str] = []

    async def other() -> None:
        order.append("other ran")

    hashing = asyncio.create_task(hash_password("pw-0"))
    await asyncio.sleep(0)  # the hashing task's first turn
    assert not hashing.done(), "the hash ran to the end within one turn of the event loop"
    await other()
    digest = await hashing
    order.append("hash done")
    assert order == ["other ran", "hash done"]
    assert await verify_password(digest, "pw-0")
    assert not await verify_password(digest, "pw-1")


async def test_the_dummy_hash_costs_what_a_real_one_does() -> None:
    """The hash verified for an unknown account is written in the source: it must keep the
    hasher's parameters (else an unknown ID number would answer faster), and it is a real
    hash of its dummy password."""
    assert not needs_rehash(DUMMY_HASH)
    assert not needs_rehash(await hash_password("pw-0"))
    assert await verify_password(DUMMY_HASH, "ecert-dummy-password-for-timing")
    assert not await verify_password(DUMMY_HASH, "pw-0")


async def test_the_limits_keep_strawberrys_validation_cache_working() -> None:
    """The limiters' rules are made once per schema: a second request with the same document
    is validated from the cache (a rule class made per request would always miss)."""
    import strawberry
    from strawberry.extensions import ParserCache, ValidationCache
    from strawberry.extensions.validation_cache import _get_validate_cache

    from graphql_api.transport import limit_extensions

    @strawberry.type
    class Query:
        @strawberry.field
        def hello(self) -> str:
            return "world"

    schema = strawberry.Schema(
        query=Query,
        extensions=[
            *limit_extensions(max_aliases=1000, max_cost=100),
            ParserCache,
            lambda: ValidationCache(maxsize=7),
        ],
    )
    cache = _get_validate_cache(7)
    before = cache.cache_info().hits
    for _ in range(3):
        result = await schema.execute("{ hello }")
        assert result.errors is None and result.data == {"hello": "world"}
    assert cache.cache_info().hits - before == 2
    refused = await schema.execute("{ " + " ".join(f"a{i}: hello" for i in range(101)) + " }")
    assert [e.message for e in refused.errors or ()] == ["Query cost 101 exceeds the limit of 100"]


def test_reference_lists_count_their_known_size_so_copies_of_the_form_add_up() -> None:
    """The reference lists are not paged: the estimate uses their bounds, so the whole form
    fits twice under the default limit and the alias attacks do not fit at all."""
    from graphql_api.types.reference import REFERENCE_LIST_SIZES
    from tests.graphql.test_reference_http import FORM

    fragment = "fragment Form on Reference " + FORM[FORM.index("{", FORM.index("reference")) :]
    fragment = fragment[: fragment.rindex("}")]

    def copies(n: int) -> str:
        return (
            "query M { "
            + " ".join(f"r{i}: reference {{ ...Form }}" for i in range(n))
            + " }\n"
            + fragment
        )

    rule = cost_limit_rule(10_000, query_too_complex, list_sizes=REFERENCE_LIST_SIZES)
    assert validate(SCHEMA, parse(FORM), [rule]) == []
    assert validate(SCHEMA, parse(copies(2)), [rule]) == []
    assert len(validate(SCHEMA, parse(copies(3)), [rule])) == 1
    series = " ".join(
        f"a{i}: reference {{ series {{ code name titles {{ code name level {{ code }} }} }} }}"
        for i in range(10)
    )
    assert len(validate(SCHEMA, parse("{ " + series + " }"), [rule])) == 1
