"""The page a visitor sees for a short link that does not exist, expired or was turned off.

Built once at import: the redirect front door answers it with no template, database or file
read, and it needs nothing else (styles inline, no fonts, scripts or images to fetch).
"""

from __future__ import annotations

__all__ = ["NOT_FOUND_PAGE"]

NOT_FOUND_PAGE = b"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>Link not available</title>
<style>
:root { color-scheme: light dark; }
* { box-sizing: border-box; }
body { margin: 0; min-height: 100vh; display: flex; align-items: center; justify-content: center;
  padding: 1.25rem; background: #f3f6f4; color: #17251d;
  font: 17px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", sans-serif; }
main { width: 100%; max-width: 30rem; padding: 2.25rem 1.75rem; text-align: center;
  background: #fff; border: 1px solid #dde6e0; border-radius: 16px;
  box-shadow: 0 10px 30px rgba(23, 37, 29, .07); }
.mark { width: 3.25rem; height: 3.25rem; margin: 0 auto 1rem; border-radius: 50%;
  display: flex; align-items: center; justify-content: center; background: #e5f1ea; }
h1 { margin: 0 0 .5rem; font-size: 1.45rem; line-height: 1.3; }
p { margin: 0; color: #4d5e54; }
.code { margin-top: 1.25rem; font-size: .8rem; letter-spacing: .08em; color: #7b8b81; }
@media (prefers-color-scheme: dark) {
  body { background: #0f1713; color: #e3ece6; }
  main { background: #17211b; border-color: #26342b; box-shadow: none; }
  .mark { background: #1f3327; }
  p { color: #a7b6ac; }
}
</style>
</head>
<body>
<main>
<div class="mark" aria-hidden="true"><svg width="26" height="26" viewBox="0 0 24 24" fill="none"
 stroke="#2f7d51" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">
<path d="M10 13a5 5 0 0 0 7.5.5l3-3a5 5 0 0 0-7-7l-1.7 1.7"/>
<path d="M14 11a5 5 0 0 0-7.5-.5l-3 3a5 5 0 0 0 7 7l1.7-1.7"/><path d="M4 4l16 16"/></svg></div>
<h1>This link is not available</h1>
<p>It may have expired, been turned off, or never existed. Check the address, or ask whoever
shared it for a new link.</p>
<p class="code">ERROR 404</p>
</main>
</body>
</html>
"""
