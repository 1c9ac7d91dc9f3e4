"""verify_page."""
