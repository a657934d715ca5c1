"""Input and output shapes of the search endpoints (explicit fields: nothing leaks)."""

from __future__ import annotations

from django.conf import settings
from rest_framework import serializers

from socialapp.common.fields import StrictCharField, StrictRegexField, documented_as
from socialapp.common.text import USERNAME_PATTERN, raw_input_cap
from socialapp.read.search.query import syntax_help

DATE_TIME_SCHEMA = {"type": "string", "format": "date-time", "maxLength": 40}


class SearchQueryIn(serializers.Serializer):
    # The exact limit (SEARCH_MAX_QUERY_LENGTH, after trimming) is check_query's; this caps the raw input.
    q = StrictCharField(
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        max_length=raw_input_cap(settings.SEARCH_MAX_QUERY_LENGTH),
    )


class PostSearchIn(SearchQueryIn):
    q = StrictCharField(
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        max_length=raw_input_cap(settings.SEARCH_MAX_QUERY_LENGTH),
        help_text=syntax_help()
        + " Required unless author, since or until is given. docs/search.md has the details and the ranking.",
    )
    author = StrictRegexField(rf"^@?{USERNAME_PATTERN}$", max_length=31, required=False)
    # ISO 8601 as Django parses it: at most 12 fraction digits, so never over 40 characters.
    since = documented_as(serializers.DateTimeField(required=False), DATE_TIME_SCHEMA)
    until = documented_as(serializers.DateTimeField(required=False), DATE_TIME_SCHEMA)
    sort = serializers.ChoiceField(choices=["relevance", "recent"], required=False, default="relevance")


class HitAuthorOut(serializers.Serializer):
    id = serializers.CharField()
    username = serializers.CharField()
    display_name = serializers.CharField()


class PostHitOut(serializers.Serializer):
    id = serializers.CharField()
    author = HitAuthorOut()
    body = serializers.CharField()
    snippet = serializers.CharField(
        help_text="HTML-escaped excerpt of at most 200 characters around the first match, <em> around the matches"
    )
    highlight = serializers.CharField(
        help_text="The whole body, HTML-escaped, with <em> around every matched word (exact, other forms of it,"
        " typos, the prefix being typed, phrases, tags and mentions): safe to render as HTML"
    )
    language = serializers.CharField(
        allow_null=True, help_text="ISO 639-1 code the post is indexed in (given by its client or detected)"
    )
    hashtags = serializers.ListField(child=serializers.CharField())
    like_count = serializers.IntegerField()
    created_at = serializers.DateTimeField()


class UserHitOut(serializers.Serializer):
    id = serializers.CharField()
    username = serializers.CharField()
    display_name = serializers.CharField()


class HashtagHitOut(serializers.Serializer):
    tag = serializers.CharField()
    post_count = serializers.IntegerField()
    last_used_at = serializers.DateTimeField(allow_null=True)


# The documented page shapes: the hits plus the opaque cursor of the next page.


class PostSearchPageOut(serializers.Serializer):
    results = PostHitOut(many=True)
    next = serializers.CharField(allow_null=True, help_text="cursor of the next page")


class UserSearchPageOut(serializers.Serializer):
    results = UserHitOut(many=True)
    next = serializers.CharField(allow_null=True, help_text="cursor of the next page")


class HashtagSearchPageOut(serializers.Serializer):
    results = HashtagHitOut(many=True)
    next = serializers.CharField(allow_null=True, help_text="cursor of the next page")
