def render_card_png(doc: object) -> bytes:
    raise NotImplementedError
