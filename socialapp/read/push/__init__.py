"""Push: what the query side tells the streaming servers after a read-model effect commits.

`messages` is the contract (the exchange, the routing keys, the message), shared with the
streaming server (socialapp.streaming), which consumes it; `publisher` sends from the projectors'
processes, after commit and never during a replay. docs/streaming.md describes the whole path.
"""
