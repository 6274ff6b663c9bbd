"""The providers this process uses, made once from the payment settings."""

from __future__ import annotations

from core.payments.errors import PaymentsNotConfigured
from core.payments.models import Provider

_instances: dict = {}


def reset() -> None:
    _instances.clear()


def get(name: Provider):
    from core.payments import settings

    if name not in _instances:
        conf = settings.current()
        if name == Provider.STRIPE:
            if not conf.stripe_configured:
                raise PaymentsNotConfigured("Card payments are not configured.")
            from core.payments.stripe_provider import StripeProvider

            _instances[name] = StripeProvider(conf)
        elif name == Provider.PAYPAL:
            if not conf.paypal_configured:
                raise PaymentsNotConfigured("PayPal payments are not configured.")
            from core.payments.paypal_provider import PayPalProvider

            _instances[name] = PayPalProvider(conf)
        else:
            raise PaymentsNotConfigured(f"{name.value} payments are not configured.")
    return _instances[name]


def stripe():
    return get(Provider.STRIPE)


def paypal():
    return get(Provider.PAYPAL)


def install(name: Provider, provider) -> None:
    """Use ``provider`` for ``name`` (tests: a client whose exchanges are checked against the specs)."""
    _instances[name] = provider
