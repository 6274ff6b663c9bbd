"""A stateful PayPal sandbox (an emulator of PayPal's REST API, in memory), for tests
and the demo: ``pixport paypal-sandbox``. A plain ASGI app, so ``core`` stays free of
web frameworks."""
