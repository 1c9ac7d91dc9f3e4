"""The HTTP edge shared by both entrypoints (``graphql_api`` and ``verify_page``).

What every request handler needs before it calls a use case, kept here so that neither
entrypoint imports the other:

=============  ==============================================================================
settings.py    environment → typed ``Settings`` (secrets never printed), read once per process
deps.py        ``Deps``: the process-wide dependencies built from the settings (clock, stores,
               issuer, job dispatcher slot)
client.py      ``client_ip``: the client's address (the rightmost X-Forwarded-For entry that is
               not a trusted proxy; the socket peer without trusted proxies)
request_limit  ``TokenBucketLimiter``: requests per client address, in this process
headers.py     ``SecurityHeadersMiddleware``: nosniff, no-store by default, HSTS
auth.py        ``resolve_auth``: request → actor, from a bearer token or the session cookie
               (with its CSRF check)
accept.py      ``Accept``: the one parser of the Accept header (content negotiation)
=============  ==============================================================================

Import from the modules themselves; this package re-exports nothing, so importing one piece
(the settings, in the CLI) does not pull in the others (the settings use client.py's
address parsing only, which imports nothing from Starlette).
"""
