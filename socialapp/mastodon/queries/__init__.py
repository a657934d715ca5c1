"""Mastodon query routes: read models only (the read database and Elasticsearch), never `default`."""
