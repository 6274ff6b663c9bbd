"""The specification editor's live price: options validated and priced without saving."""

from __future__ import annotations

from core.specs.models import Specification

PREVIEW = """query($i: SpecificationInput!, $n: Int!) { priceQuotePreview(input: $i, imageCount: $n) {
    quote { imageCount total { amount currency } lines { code amount { amount } } }
    errors { code field } } }"""
SAVED = """query($s: ID!, $n: Int!) { priceQuote(specificationId: $s, imageCount: $n) { total { amount } } }"""
CREATE = """mutation($i: SpecificationInput!) { specificationCreate(input: $i) { specification { id } errors { code } } }"""


async def test_the_preview_prices_what_saving_would_price_and_saves_nothing(gql):
    gql.token = (await gql.sign_up("ann@example.com"))["token"]
    options = {"name": "Studio", "shadow": "DROP", "retouch": "BASIC"}
    preview = (await gql(PREVIEW, {"i": options, "n": 40}))["priceQuotePreview"]
    assert preview["errors"] == [] and preview["quote"]["imageCount"] == 40
    assert {line["code"] for line in preview["quote"]["lines"]} >= {"BASE", "SHADOW_DROP"}
    assert await Specification.all().count() == 0  # nothing saved

    spec = (await gql(CREATE, {"i": options}))["specificationCreate"]["specification"]
    saved = (await gql(SAVED, {"s": spec["id"], "n": 40}))["priceQuote"]
    assert saved["total"] == {"amount": preview["quote"]["total"]["amount"]}
    plain = (await gql(PREVIEW, {"i": {"name": "Plain"}, "n": 40}))["priceQuotePreview"]["quote"]
    assert plain["total"]["amount"] < preview["quote"]["total"]["amount"]  # the add-ons are charged


async def test_invalid_options_get_the_errors_saving_would_give_and_no_price(gql):
    gql.token = (await gql.sign_up("ann@example.com"))["token"]
    clash = {"name": "Bad", "background": {"kind": "TRANSPARENT"}, "formats": ["JPEG"],
             "shadow": "DROP", "keepOriginalShadow": True}
    preview = (await gql(PREVIEW, {"i": clash, "n": 1}))["priceQuotePreview"]
    assert preview["quote"] is None
    assert sorted((e["code"], e["field"]) for e in preview["errors"]) == [
        ("INVALID", "input.background.kind"), ("INVALID", "input.keepOriginalShadow")]
    out_of_range = (await gql(PREVIEW, {"i": {"name": "Bad", "quality": 101}, "n": 1}))["priceQuotePreview"]
    assert [(e["code"], e["field"]) for e in out_of_range["errors"]] == [("INVALID", "input.quality")]
    too_many = (await gql(PREVIEW, {"i": {"name": "Ok"}, "n": -1}))["priceQuotePreview"]
    assert too_many["quote"] is None and too_many["errors"][0]["field"] == "imageCount"


async def test_the_preview_needs_a_session(gql):
    answer = await gql.raw(PREVIEW, {"i": {"name": "x"}, "n": 1}, token="")
    assert answer["data"] is None and answer["errors"]
