"""The domain API: keyword-only functions on a Session, shared by web pages, API and CLI."""
