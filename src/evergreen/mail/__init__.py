"""Mail: rendering, headers, DKIM, bounce parsing and SMTP sending for every area's email."""
