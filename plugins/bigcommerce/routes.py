"""BigCommerce's HTTP callbacks (placeholder; the app install arrives next)."""


def routes() -> list:
    return []
