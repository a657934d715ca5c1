"""Mastodon command routes: each one calls a command service (socialapp.write.*) and answers from
what it returned; none reads a read model (a command's answer must not wait for the pipeline)."""
