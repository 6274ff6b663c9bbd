"""The payments fixtures (localstripe, the PayPal sandbox, a merchant with an order awaiting
payment) for the /app test-card route's test."""

from tests.schema.payments.conftest import (  # noqa: F401
    ann,
    browser,
    localstripe_url,
    payment_config,
    paypal_sandbox,
)
