"""The streaming server: a separate ASGI process type (`web-streaming`) that pushes what the
projectors just committed to connected clients, over Mastodon's streaming API (SSE and
WebSocket) and our own SSE stream.

It is a face of the query side: it reads the read database and the shared session cache only,
and it learns of new effects from the push exchange (socialapp.read.push.messages), never from
the write side. Per process: one broker connection with one exclusive, auto-delete queue bound to
the routing keys its connected clients need (users, authors, public, hashtags), an in-process fan-out
to a bounded queue per connection, and the one visibility rule
(socialapp.read.common.visibility, Context.STREAM / PUBLIC / TAG / NOTIFICATIONS) applied per
connection before anything is written. docs/streaming.md describes the design.
"""
