"""Use cases: ``async def verb(*, actor, ..., now) -> result``, one transaction each."""
