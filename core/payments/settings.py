"""Payment providers' settings (prefix ``PIXPORT_``): Stripe and PayPal.

``current()`` reads the environment once; ``use()`` replaces it for a process that
configures itself in code (tests, benchmarks) without touching ``os.environ``.
"""

from __future__ import annotations

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class PaymentSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PIXPORT_", extra="ignore")

    stripe_api_key: SecretStr = SecretStr("")
    stripe_api_base: str = "https://api.stripe.com"
    stripe_webhook_secret: SecretStr = SecretStr("")
    # Real Stripe saves the card of a payment with ``setup_future_usage``; localstripe
    # rejects the parameter, so tests turn it off (the card is then attached on success).
    stripe_setup_future_usage: bool = True
    stripe_max_network_retries: int = 2

    paypal_client_id: str = ""
    paypal_client_secret: SecretStr = SecretStr("")
    paypal_api_base: str = "https://api-m.sandbox.paypal.com"
    paypal_webhook_id: str = ""

    @property
    def paypal_configured(self) -> bool:
        return bool(self.paypal_client_id and self.paypal_client_secret.get_secret_value())

    @property
    def stripe_configured(self) -> bool:
        return bool(self.stripe_api_key.get_secret_value())


_current: PaymentSettings | None = None


def current() -> PaymentSettings:
    global _current
    if _current is None:
        _current = PaymentSettings()
    return _current


def use(settings: PaymentSettings | None) -> None:
    global _current
    _current = settings
    from core.payments import providers

    providers.reset()
