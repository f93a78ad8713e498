"""Mail's pure decisions: templates, messages, headers, VERP, bounces, rate limits, retries."""
