"""The Mastodon-compatible client API: a second face of the same two sides (docs/mastodon.md).

It owns no models. `commands/` turns Mastodon requests into calls of the command services
(socialapp.write.*) and answers from what they return; `queries/` answers from the read models
only (socialapp.read.* selectors, the read database and Elasticsearch); `common/` renders
Mastodon's entities and errors and knows neither side. Neither side imports this package, and
`queries/` never imports the write side nor `commands/` the read side (pyproject.toml's import
contracts): the folder says which side a module is on, here as everywhere.
"""
