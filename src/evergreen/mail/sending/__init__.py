"""Sending over SMTP: servers from the settings, a pooled, rate-limited sender with failover."""
