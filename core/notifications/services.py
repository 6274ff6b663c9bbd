"""Mail from templates: each message has a plain-text and an HTML body."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import make_msgid

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from core import runtime

_env = Environment(
    loader=PackageLoader("core.notifications", "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,  # a missing variable is a bug, not an empty string
)


def render(template: str, **context) -> EmailMessage:
    """``template`` names ``templates/<template>.{subject,txt,html}``."""
    message = EmailMessage()
    message["Subject"] = _env.get_template(f"{template}.subject").render(**context).strip()
    message.set_content(_env.get_template(f"{template}.txt").render(**context))
    message.add_alternative(_env.get_template(f"{template}.html").render(**context), subtype="html")
    return message


def public_url() -> str:
    return runtime.current().settings.public_url.rstrip("/")


async def send(to: str, template: str, **context) -> EmailMessage:
    rt = runtime.current()
    message = render(template, **context)
    message["From"] = rt.settings.mail_from
    message["To"] = to
    message["Message-ID"] = make_msgid(domain="pixport")
    await rt.mailer.send(message)
    return message
