"""A retoucher at work through Pixport's production API (GraphQL over HTTP), as a studio's
tool would be: take the images waiting for a person and submit a result for each."""

from __future__ import annotations

import io
import json

import httpx
from PIL import Image

ERR = "errors { code field message }"
QUEUE = """query { productionQueue(first: 100) { edges { node { id fileName productionStatus claimedByMe
  before { url } order { specificationVersion { options { dpi } } } } } } }"""
CLAIM = f"""mutation($id: ID!) {{ productionImageClaim(orderImageId: $id) {{ orderImage {{ id }} {ERR} }} }}"""
SUBMIT = f"""mutation($id: ID!, $file: Upload!) {{ productionImageSubmit(orderImageId: $id, file: $file) {{
  orderImage {{ id productionStatus }} {ERR} }} }}"""


class Retoucher:
    def __init__(self, pixport_url: str, email: str, password: str) -> None:
        self.http = httpx.Client(base_url=pixport_url, timeout=30)
        token = self._gql("""mutation($i: SessionCreateInput!) { sessionCreate(input: $i) { token errors { message } } }""",
                          {"i": {"email": email, "password": password}})["sessionCreate"]["token"]
        assert token, "the retoucher cannot log in"
        self.http.headers["Authorization"] = f"Bearer {token}"

    def _gql(self, query: str, variables: dict | None = None) -> dict:
        body = self.http.post("/graphql", json={"query": query, "variables": variables or {}}).json()
        assert not body.get("errors"), body["errors"]
        return body["data"]

    def waiting(self) -> list[dict]:
        edges = self._gql(QUEUE)["productionQueue"]["edges"]
        return [e["node"] for e in edges if e["node"]["productionStatus"] == "RETOUCH"]

    def retouch_all(self) -> list[str]:
        """Claim and submit every image waiting for a person: the original, re-encoded as a JPEG at
        the specification's DPI. Returns their file names."""
        done = []
        for image in self.waiting():
            claimed = self._gql(CLAIM, {"id": image["id"]})["productionImageClaim"]
            assert claimed["errors"] == [], claimed["errors"]
            original = httpx.get(image["before"]["url"], timeout=30).raise_for_status().content
            out = io.BytesIO()
            dpi = image["order"]["specificationVersion"]["options"]["dpi"]
            Image.open(io.BytesIO(original)).convert("RGB").save(out, "JPEG", quality=90, dpi=(dpi, dpi))
            operations = json.dumps({"query": SUBMIT, "variables": {"id": image["id"], "file": None}})
            response = self.http.post("/graphql", data={"operations": operations,
                                                        "map": json.dumps({"0": ["variables.file"]})},
                                      files={"0": ("result.jpg", out.getvalue(), "image/jpeg")})
            submitted = response.json()["data"]["productionImageSubmit"]
            assert submitted["errors"] == [], submitted["errors"]
            done.append(image["fileName"])
        return done

    def close(self) -> None:
        self.http.close()
