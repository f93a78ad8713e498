"""Links: tracking links, the redirect that never loses a click, and click analytics."""
