"""``pixport``: serve, demo, worker, migrate, user-role, export-schema, sandbox, paypal-sandbox."""

from __future__ import annotations

import asyncio
from pathlib import Path

import typer

app = typer.Typer(help="Pixport: store-to-studio image pipeline.", no_args_is_help=True, add_completion=False)


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    workers: int = typer.Option(1, help="API processes (needs PIXPORT_DATABASE_URL and PIXPORT_REDIS_URL when > 1)."),
) -> None:
    """Serve the API (and, on the embedded defaults, run jobs in this process)."""
    import uvicorn

    from core.settings import Settings

    settings = Settings()
    if workers > 1 and (settings.is_embedded_db or not settings.redis):
        raise typer.BadParameter("several API processes need PostgreSQL and Redis (PIXPORT_DATABASE_URL, PIXPORT_REDIS_URL)")
    uvicorn.run("api.app:app_factory", factory=True, host=host, port=port, workers=workers,
                proxy_headers=True, log_config=None, lifespan="on")


@app.command()
def demo(
    port: int = typer.Option(8000, help="Pixport's port."),
    sandbox_port: int = typer.Option(8100, help="The BigCommerce sandbox's port (its control panel: /manage)."),
    paypal_port: int = typer.Option(8430, help="The PayPal sandbox's port."),
    stripe_port: int = typer.Option(8420, help="The Stripe test server's port (localstripe)."),
    products: int = typer.Option(300, help="Products in the demo store (about 3 images each)."),
    data_dir: Path = typer.Option(Path("data/demo"), help="Pixport's data for the demo (emptied at start)."),
    keep_data: bool = typer.Option(False, help="Keep the data of the last demo (the emulators start empty anyway)."),
    install: bool = typer.Option(True, help="Install the app into the demo store and create the demo login."),
) -> None:
    """Pixport with a demo store: without BigCommerce app credentials (PIXPORT_BIGCOMMERCE_CLIENT_ID),
    also start the BigCommerce sandbox with a seeded store, the PayPal sandbox and the Stripe test
    server, install the app and print where to open it. Ctrl-C stops everything."""
    from api import demo as demo_stack
    from plugins.bigcommerce.settings import BigCommerceSettings

    if BigCommerceSettings().configured:
        typer.echo("BigCommerce app credentials are configured: serving Pixport alone (no sandboxes).")
        migrate()
        serve(host="127.0.0.1", port=port, workers=1)
        return
    config = demo_stack.DemoConfig(port=port, sandbox_port=sandbox_port, paypal_port=paypal_port,
                                   stripe_port=stripe_port, products=products, data_dir=data_dir,
                                   keep_data=keep_data, install=install)
    raise typer.Exit(demo_stack.run(config))


@app.command()
def worker() -> None:
    """Run jobs from Redis (arq); start as many as you like."""
    from arq.worker import run_worker

    from api import logs
    from core.settings import Settings
    from workers.settings import WorkerSettings

    settings = Settings()
    if not settings.redis:
        raise typer.BadParameter("pixport worker needs PIXPORT_REDIS_URL; without it, `pixport serve` runs jobs itself")
    logs.configure(settings.log_level)
    run_worker(WorkerSettings)


@app.command()
def migrate() -> None:
    """Apply the database migrations (safe to run again)."""
    from core import db
    from core.settings import Settings

    settings = Settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)

    async def run() -> None:
        try:
            await db.migrate(settings.db_url)
        finally:
            await db.close_db()

    asyncio.run(run())
    typer.echo("database is up to date")


@app.command("user-role")
def user_role(
    email: str = typer.Argument(..., help="The user's e-mail address (the user signs up first)."),
    role: str = typer.Argument("STAFF", help="OWNER, MEMBER, STAFF (production staff: retouchers) or ADMIN."),
) -> None:
    """Give a user a role, e.g. make a retoucher production staff."""
    from core import db
    from core.accounts import services as accounts
    from core.accounts.models import Role
    from core.errors import DomainError
    from core.settings import Settings

    try:
        wanted = Role(role.upper())
    except ValueError:
        raise typer.BadParameter(f"role must be one of {', '.join(r.value for r in Role)}") from None
    settings = Settings()

    async def run() -> None:
        await db.open_db(settings.db_url)
        try:
            user = await accounts.set_role(email, wanted)
        finally:
            await db.close_db()
        typer.echo(f"{user.email} is {user.role.value}")

    try:
        asyncio.run(run())
    except DomainError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None


@app.command("export-schema")
def export_schema(path: Path = typer.Argument(Path("frontend-contract/schema.graphql"))) -> None:
    """Write the GraphQL schema (SDL) that front ends build against."""
    from api.contract import schema_sdl

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(schema_sdl())
    typer.echo(f"wrote {path}")


@app.command()
def sandbox(
    host: str = typer.Option("127.0.0.1"),
    port: int = typer.Option(8100),
) -> None:
    """Run the BigCommerce sandbox (an emulator of the platform, in memory)."""
    import uvicorn

    uvicorn.run("plugins.bigcommerce.sandbox.app:create_app", factory=True, host=host, port=port)


@app.command("paypal-sandbox")
def paypal_sandbox(
    host: str = typer.Option("127.0.0.1"),
    port: int = typer.Option(8430),
) -> None:
    """Run the PayPal sandbox (an emulator of PayPal's REST API, in memory). Point Pixport at it with
    PIXPORT_PAYPAL_API_BASE=http://127.0.0.1:8430, PIXPORT_PAYPAL_CLIENT_ID=sandbox-client-id,
    PIXPORT_PAYPAL_CLIENT_SECRET=sandbox-client-secret."""
    import uvicorn

    uvicorn.run("core.payments.paypal_sandbox.app:create_app", factory=True, host=host, port=port)


def main() -> None:
    app()


if __name__ == "__main__":  # ``python -m api.cli``: how the demo starts its children
    main()
