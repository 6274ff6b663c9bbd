"""BigCommerce's own settings (prefix ``PIXPORT_BIGCOMMERCE_``). Pointing the API and
login URLs at the sandbox (``pixport sandbox``) is all it takes to use it."""

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

    @property
    def configured(self) -> bool:
        return bool(self.client_id and self.client_secret.get_secret_value())
