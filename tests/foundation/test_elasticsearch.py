"""Index, document and search round trip on the real Elasticsearch."""

from socialapp.read.search.client import get_client, index_name


def test_index_document_search_round_trip():
    es = get_client()
    name = index_name("foundation-roundtrip")
    es.options(ignore_status=404).indices.delete(index=name)
    es.indices.create(
        index=name,
        settings={"number_of_shards": 1, "number_of_replicas": 0},
        mappings={"properties": {"body": {"type": "text"}, "tag": {"type": "keyword"}}},
    )
    try:
        es.index(index=name, id="1", document={"body": "Hello CQRS world", "tag": "intro"}, refresh="wait_for")
        es.index(index=name, id="2", document={"body": "Unrelated text", "tag": "other"}, refresh="wait_for")
        hits = es.search(index=name, query={"match": {"body": "cqrs"}})["hits"]["hits"]
        assert [h["_id"] for h in hits] == ["1"]
        assert es.get(index=name, id="2")["_source"]["tag"] == "other"
    finally:
        es.indices.delete(index=name)
