"""The one-command demo (``pixport demo``, ``make run``).

Without BigCommerce app credentials, Pixport runs on its embedded defaults next to the
three emulators it talks to, each a child process on loopback:

- the BigCommerce sandbox (``pixport sandbox``) with Pixport registered as an app and a
  seeded demo store, and its control panel at ``/manage`` (install the app, open it);
- the PayPal sandbox (``pixport paypal-sandbox``), with Pixport's webhook subscribed;
- localstripe, the Stripe test server (GPL: only ever run as its own process).

Pixport (``pixport serve``) is then pointed at them through its ordinary ``PIXPORT_*``
settings. Unless told otherwise the app is installed into the demo store and a demo
login is created through the public routes a merchant uses (the OAuth install, then
``accountCreate`` with the store link token), so the printed URL opens a store with its
images syncing.

Every child runs in its own session (a terminal's Ctrl-C reaches the demo only, which
stops them in order) and gets SIGTERM if the demo dies without cleaning up. The browser
tests start the same stack on free ports (``DemoStack``).
"""

from __future__ import annotations

import contextlib
import ctypes
import html
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

APP_CLIENT_ID = "pixport-demo-app"
APP_CLIENT_SECRET = "pixport-demo-client-secret-" + "s" * 37  # 64 bytes, as BigCommerce's
STORE_HASH = "pixdemo"
# BigCommerce only delivers webhooks to https on 443; the sandbox routes this origin to Pixport.
HOOKS_ORIGIN = "https://pixport-hooks.demo"
DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "orange-kite-2026"
# Production staff: takes the images the engine is unsure of, and redo requests.
RETOUCHER_EMAIL = "studio@example.com"
RETOUCHER_PASSWORD = "violet-brush-2026"
STRIPE_API_KEY = "sk_test_pixport_demo"
STRIPE_WEBHOOK_SECRET = "whsec_pixport_demo"
DEMO_MARK = ".pixport-demo"  # in a data folder the demo made (and may empty)

# localstripe's CLI binds every interface: run its aiohttp app on loopback instead.
LOCALSTRIPE_LAUNCHER = (
    "import sys\n"
    "from aiohttp import web\n"
    "from localstripe.server import app\n"
    "web.run_app(app, host='127.0.0.1', port=int(sys.argv[1]), print=None)\n"
)
_PR_SET_PDEATHSIG = 1


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _die_with_parent() -> None:  # runs in the child between fork and exec (Linux)
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass
class DemoConfig:
    host: str = "127.0.0.1"
    port: int = 8000
    sandbox_port: int = 8100
    paypal_port: int = 8430
    stripe_port: int = 8420
    data_dir: Path = Path("data/demo")
    keep_data: bool = False  # the emulators start empty each time, so by default Pixport's data does too
    products: int = 300
    images_per_product: int = 3
    max_image_size: int = 2000
    seed: int = 2026
    install: bool = True  # install the app and create the demo login
    # Pixport settings for this run on top of the demo's own (e.g. shorter waits in tests).
    extra_env: dict[str, str] = field(default_factory=dict)
    # Pass the caller's PIXPORT_* variables on (the CLI does; tests start clean).
    inherit_env: bool = True
    quiet: bool = False  # children's output goes to data_dir/logs only

    @classmethod
    def on_free_ports(cls, **options) -> "DemoConfig":
        return cls(port=free_port(), sandbox_port=free_port(), paypal_port=free_port(), stripe_port=free_port(),
                   **options)


class DemoError(RuntimeError):
    pass


class DemoStack:
    """The demo's processes; ``with DemoStack(config) as stack:`` starts and stops them."""

    def __init__(self, config: DemoConfig) -> None:
        self.config = config
        c = config
        self.pixport_url = f"http://{c.host}:{c.port}"
        self.sandbox_url = f"http://127.0.0.1:{c.sandbox_port}"
        self.paypal_url = f"http://127.0.0.1:{c.paypal_port}"
        self.stripe_url = f"http://127.0.0.1:{c.stripe_port}"
        self.store_hash = STORE_HASH
        self.processes: list[tuple[str, subprocess.Popen]] = []
        self.pixport_env: dict[str, str] = {}
        self.login: tuple[str, str] | None = None
        self.retoucher: tuple[str, str] | None = None

    # ---- URLs a merchant opens -----------------------------------------------------------

    @property
    def panel_url(self) -> str:
        """The demo store's control panel (Apps: install Pixport, open it)."""
        return f"{self.sandbox_url}/manage/{self.store_hash}/apps"

    @property
    def app_page_url(self) -> str:
        return f"{self.sandbox_url}/manage/{self.store_hash}/apps/{APP_CLIENT_ID}"

    @property
    def log_dir(self) -> Path:
        return self.config.data_dir / "logs"

    # ---- lifecycle -------------------------------------------------------------------------

    def __enter__(self) -> "DemoStack":
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> None:
        c = self.config
        if not c.keep_data and c.data_dir.exists() and any(c.data_dir.iterdir()):
            if not (c.data_dir / DEMO_MARK).exists():  # never empty a folder the demo did not make
                raise DemoError(f"{c.data_dir} holds data that is not a demo's: pick another --data-dir")
            shutil.rmtree(c.data_dir)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        (c.data_dir / DEMO_MARK).touch()
        cli = [sys.executable, "-m", "api.cli"]
        self._spawn("bigcommerce-sandbox", [*cli, "sandbox", "--port", str(c.sandbox_port)])
        self._spawn("paypal-sandbox", [*cli, "paypal-sandbox", "--port", str(c.paypal_port)])
        self._spawn("stripe", [sys.executable, "-c", LOCALSTRIPE_LAUNCHER, str(c.stripe_port)])
        self._wait_http("bigcommerce-sandbox", self.sandbox_url + "/")
        self._wait_http("paypal-sandbox", self.paypal_url + "/checkoutnow")
        self._wait_http("stripe", self.stripe_url + "/v1/balance", auth=(STRIPE_API_KEY, ""))
        self._seed_bigcommerce()
        paypal_webhook_id = self._subscribe_paypal()
        self._configure_stripe()
        self.pixport_env = self._pixport_env(paypal_webhook_id)
        self._spawn("pixport", [*cli, "serve", "--host", c.host, "--port", str(c.port)], env=self.pixport_env)
        self._wait_http("pixport", self.pixport_url + "/healthz", timeout=60)
        self.add_retoucher()
        if c.install:
            self.install_and_sign_up()

    def stop(self) -> None:
        """Stop every child (Pixport first, then the emulators), its whole process group."""
        for name, process in reversed(self.processes):
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for name, process in reversed(self.processes):
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.processes.clear()

    def check_alive(self) -> None:
        for name, process in self.processes:
            if process.poll() is not None:
                raise DemoError(f"{name} exited with status {process.returncode}; see {self.log_dir / name}.log")

    # ---- the steps ---------------------------------------------------------------------------

    def _base_env(self) -> dict[str, str]:
        if self.config.inherit_env:
            return dict(os.environ)
        return {k: v for k, v in os.environ.items() if not k.startswith("PIXPORT_")}

    def _spawn(self, name: str, args: list[str], env: dict[str, str] | None = None) -> None:
        log = (self.log_dir / f"{name}.log").open("ab")
        process = subprocess.Popen(args, env={**self._base_env(), **(env or {})}, stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True, preexec_fn=_die_with_parent)
        log.close()
        self.processes.append((name, process))

    def _wait_http(self, name: str, url: str, timeout: float = 30, auth=None) -> None:
        deadline = time.monotonic() + timeout
        while True:
            self.check_alive()
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(url, auth=auth, timeout=2).status_code < 500:
                    return
            if time.monotonic() > deadline:
                raise DemoError(f"{name} did not answer at {url} within {timeout:.0f} s; see {self.log_dir}")
            time.sleep(0.1)

    def _seed_bigcommerce(self) -> None:
        c = self.config
        with httpx.Client(base_url=self.sandbox_url, timeout=120) as sandbox:
            sandbox.post("/_sandbox/apps", json={
                "name": "Pixport", "client_id": APP_CLIENT_ID, "client_secret": APP_CLIENT_SECRET,
                "auth_callback": f"{self.pixport_url}/bigcommerce/auth",
                "load_callback": f"{self.pixport_url}/bigcommerce/load",
                "uninstall_callback": f"{self.pixport_url}/bigcommerce/uninstall",
                "remove_user_callback": f"{self.pixport_url}/bigcommerce/remove_user",
            }).raise_for_status()
            sandbox.post("/_sandbox/webhook_routes", json={"from": HOOKS_ORIGIN, "to": self.pixport_url}
                         ).raise_for_status()
            sandbox.post("/_sandbox/stores", json={
                "store_hash": self.store_hash, "products": c.products, "seed": c.seed,
                "images_per_product": c.images_per_product, "max_image_size": c.max_image_size,
                "owner_email": "merchant@pixdemo.example.com",
            }).raise_for_status()

    def _subscribe_paypal(self) -> str:
        from core.payments.paypal_sandbox.app import CLIENT_ID, CLIENT_SECRET

        with httpx.Client(base_url=self.paypal_url, timeout=10) as paypal:
            token = paypal.post("/v1/oauth2/token", data={"grant_type": "client_credentials"},
                                auth=(CLIENT_ID, CLIENT_SECRET)).raise_for_status().json()["access_token"]
            hook = paypal.post("/v1/notifications/webhooks", headers={"Authorization": f"Bearer {token}"},
                               json={"url": f"{self.pixport_url}/webhooks/paypal",
                                     "event_types": [{"name": "*"}]}).raise_for_status().json()
        return hook["id"]

    def _configure_stripe(self) -> None:
        httpx.post(f"{self.stripe_url}/_config/webhooks/pixport", auth=(STRIPE_API_KEY, ""), timeout=10,
                   data={"url": f"{self.pixport_url}/webhooks/stripe", "secret": STRIPE_WEBHOOK_SECRET}
                   ).raise_for_status()

    def _pixport_env(self, paypal_webhook_id: str) -> dict[str, str]:
        from core.payments.paypal_sandbox.app import CLIENT_ID, CLIENT_SECRET

        env = {
            "PIXPORT_DATA_DIR": str(self.config.data_dir.resolve()),
            "PIXPORT_PUBLIC_URL": self.pixport_url,
            "PIXPORT_IMAGE_HOSTS": "127.0.0.1",
            "PIXPORT_BIGCOMMERCE_CLIENT_ID": APP_CLIENT_ID,
            "PIXPORT_BIGCOMMERCE_CLIENT_SECRET": APP_CLIENT_SECRET,
            "PIXPORT_BIGCOMMERCE_API_URL": self.sandbox_url,
            "PIXPORT_BIGCOMMERCE_LOGIN_URL": self.sandbox_url,
            "PIXPORT_BIGCOMMERCE_WEBHOOK_BASE_URL": HOOKS_ORIGIN,
            # Pixport's iframe pages may be framed by the sandbox's control panel.
            "PIXPORT_BIGCOMMERCE_CONTROL_PANEL_ORIGIN": self.sandbox_url,
            "PIXPORT_APP_FRAME_ANCESTORS": self.sandbox_url,  # and so may /app
            "PIXPORT_STRIPE_API_KEY": STRIPE_API_KEY,
            "PIXPORT_STRIPE_API_BASE": self.stripe_url,
            "PIXPORT_STRIPE_WEBHOOK_SECRET": STRIPE_WEBHOOK_SECRET,
            "PIXPORT_STRIPE_SETUP_FUTURE_USAGE": "false",  # localstripe refuses the parameter
            "PIXPORT_PAYPAL_CLIENT_ID": CLIENT_ID,
            "PIXPORT_PAYPAL_CLIENT_SECRET": CLIENT_SECRET,
            "PIXPORT_PAYPAL_API_BASE": self.paypal_url,
            "PIXPORT_PAYPAL_WEBHOOK_ID": paypal_webhook_id,
        }
        env.update(self.config.extra_env)
        return env

    def _graphql(self, http: httpx.Client, mutation: str, variables: dict) -> dict:
        input_type = mutation[0].upper() + mutation[1:] + "Input"
        query = (f"mutation($input: {input_type}!) {{ {mutation}(input: $input) "
                 "{ token errors { code field message } } }")
        data = http.post(f"{self.pixport_url}/graphql", json={"query": query, "variables": {"input": variables}}
                         ).raise_for_status().json()
        return (data.get("data") or {}).get(mutation) or {"errors": data.get("errors")}

    def add_retoucher(self, email: str = RETOUCHER_EMAIL, password: str = RETOUCHER_PASSWORD) -> None:
        """A production staff login: signed up like anyone, then given the role by ``pixport user-role``."""
        with httpx.Client(timeout=60) as http:
            created = self._graphql(http, "accountCreate", {"email": email, "password": password, "name": "Studio"})
        if not created.get("token"):
            raise DemoError(f"the retoucher login could not be created: {created.get('errors')}")
        done = subprocess.run([sys.executable, "-m", "api.cli", "user-role", email, "STAFF"], capture_output=True,
                              text=True, env={**self._base_env(), **self.pixport_env}, stdin=subprocess.DEVNULL)
        if done.returncode != 0:
            raise DemoError(f"the retoucher could not be made production staff: {done.stderr.strip()}")
        self.retoucher = (email, password)

    def install_and_sign_up(self, email: str = DEMO_EMAIL, password: str = DEMO_PASSWORD) -> str:
        """Install the app as the store owner would (the sandbox drives the OAuth callback), then
        create the demo login with the store link token Pixport's answer carries (or log in with
        it when the account exists). Returns the session token."""
        with httpx.Client(timeout=60) as http:
            installed = http.post(f"{self.sandbox_url}/_sandbox/stores/{self.store_hash}/install",
                                  json={"client_id": APP_CLIENT_ID}).raise_for_status().json()
            answer = (installed.get("response") or {}).get("body") or ""
            match = re.search(r"/app#storeLinkToken=([^\"'&<\s]+)", html.unescape(answer))
            if match is None:
                raise DemoError(f"the app install did not answer with a store link: {answer[:300]!r}")
            link = match[1]
            errors = []
            for mutation, variables in (
                ("accountCreate", {"email": email, "password": password, "name": "Demo merchant",
                                   "storeLinkToken": link}),
                ("sessionCreate", {"email": email, "password": password, "storeLinkToken": link}),
            ):
                result = self._graphql(http, mutation, variables)
                if result.get("token"):
                    self.login = (email, password)
                    return result["token"]
                errors.append(result.get("errors"))
        raise DemoError(f"the demo login could not be created: {errors}")

    def banner(self) -> str:
        lines = ["", "Pixport demo is running.", ""]
        if self.login:
            lines += [f"  Open the demo store's control panel: {self.app_page_url}",
                      "  (Apps > Pixport: the app opens inside the panel, signed in)", "",
                      f"  Or open Pixport directly:           {self.pixport_url}/app",
                      f"  Demo login:                         {self.login[0]} / {self.login[1]}"]
        else:
            lines += [f"  Open the demo store's control panel: {self.panel_url}",
                      "  and install Pixport from its Apps page."]
        if self.retoucher:
            lines += [f"  Retoucher login (production staff): {self.retoucher[0]} / {self.retoucher[1]}"]
        lines += ["",
                  f"  BigCommerce sandbox: {self.sandbox_url}  (store {self.store_hash}, "
                  f"{self.config.products} products)",
                  f"  PayPal sandbox:      {self.paypal_url}",
                  f"  Stripe test server:  {self.stripe_url}  (test card 4242 4242 4242 4242)",
                  f"  Logs:                {self.log_dir}/", "",
                  "Press Ctrl-C to stop everything.", ""]
        return "\n".join(lines)


def run(config: DemoConfig) -> int:
    """The CLI's ``pixport demo``: start the stack, print where to go, wait for Ctrl-C."""
    def terminate(signum, frame):  # a SIGTERM stops the demo as Ctrl-C does
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminate)
    stack = DemoStack(config)
    try:
        print("Starting the BigCommerce sandbox, the PayPal sandbox, the Stripe test server and Pixport...",
              flush=True)
        stack.start()
        print(stack.banner(), flush=True)
        while True:
            stack.check_alive()
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("\nStopping...", flush=True)
        return 0
    except DemoError as exc:
        print(f"demo failed: {exc}", file=sys.stderr, flush=True)
        return 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not leave children behind
        stack.stop()
