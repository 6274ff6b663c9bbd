from datetime import datetime, timezone


def utcnow() -> datetime:
    """Aware UTC now; every stored time is UTC."""
    return datetime.now(timezone.utc)
