"""Query-side plumbing shared by every read model: SQL helpers, keyset pagination, the
read-your-writes wait and the lag header. Generic: nothing here knows a particular read model."""
