"""``pixport``: serve, worker, migrate, export-schema, sandbox, paypal-sandbox."""

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
