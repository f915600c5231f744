"""The domain API: keyword-only functions on a Session, shared by the web pages, the API and the CLI."""
