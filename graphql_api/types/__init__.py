"""GraphQL output types, one module per aggregate, each built from a model explicitly."""
