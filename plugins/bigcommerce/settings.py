"""BigCommerce's own settings (prefix ``PIXPORT_BIGCOMMERCE_``). Pointing the API and
login URLs at the sandbox (``pixport sandbox``) is all it takes to use it.

``current()`` is what the plugin reads (the environment, once); ``use()`` replaces it
for a process that configures itself in code (tests, benchmarks) without touching
``os.environ``.
"""

from __future__ import annotations

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class BigCommerceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PIXPORT_BIGCOMMERCE_", extra="ignore")

    client_id: str = ""
    client_secret: SecretStr = SecretStr("")
    api_url: str = "https://api.bigcommerce.com"
    login_url: str = "https://login.bigcommerce.com"
    # Share of the store's API quota Pixport may use (other apps share it too).
    quota_share: float = 0.8
    max_concurrency: int = 3
    timeout_seconds: float = 30.0
    # Retries of 5xx/network errors: capped exponential backoff with jitter.
    retry_attempts: int = 6
    retry_initial_seconds: float = 0.5
    retry_max_seconds: float = 30.0
    # A 429 without rate-limit headers (the platform under load): wait at least this,
    # doubling on each repeat.
    throttled_backoff_seconds: float = 2.0
    # Webhook deliveries go to ``{webhook_base_url or PIXPORT_PUBLIC_URL}/bigcommerce/webhooks``;
    # BigCommerce only calls https on port 443, so a deployment (or a test) whose public URL
    # is not that names the https origin that reaches it here.
    webhook_base_url: str = ""
    # The origin of the control panel that frames Pixport's pages. Empty: the store's own
    # (https://store-{hash}.mybigcommerce.com); the demo names the sandbox's control panel.
    control_panel_origin: str = ""

    @property
    def configured(self) -> bool:
        return bool(self.client_id and self.client_secret.get_secret_value())


_current: BigCommerceSettings | None = None


def current() -> BigCommerceSettings:
    global _current
    if _current is None:
        _current = BigCommerceSettings()
    return _current


def use(settings: BigCommerceSettings | None) -> None:
    """Replace the settings the plugin reads (None: read the environment again)."""
    global _current
    _current = settings
