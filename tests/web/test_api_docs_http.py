"""/api/docs works offline: the page names only this server's files, and each one is served."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

TYPES = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}


def test_the_docs_page_loads_only_local_assets_and_each_answers(client: TestClient) -> None:
    page = client.get("/api/docs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    urls = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page.text)
    urls += re.findall(r"""url: ?["']([^"']+)["']""", page.text)
    assert urls, page.text
    assert not [url for url in urls if "//" in url], urls  # no CDN, no other host at all
    assets = [url for url in urls if url.startswith("/api/docs/assets/")]
    assert {url.rsplit("/", 1)[1] for url in assets} == {
        "swagger-ui-bundle.js", "swagger-ui.css", "favicon.png",
    }  # fmt: skip
    for url in assets:
        answer = client.get(url)
        assert answer.status_code == 200, url
        suffix = url[url.rfind(".") :]
        assert answer.headers["content-type"].startswith(TYPES[suffix]), url
        assert len(answer.content) > 1000, url
    assert "/api/openapi.json" in page.text
    assert client.get("/api/openapi.json").json()["openapi"].startswith("3.1")
    assert '"validatorUrl": null' in page.text  # nor does Swagger UI call its validator
