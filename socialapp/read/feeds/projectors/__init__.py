"""The feeds app's two projectors: `home_feed.py` (the home-feed fan-out) and `posts.py` (posts,
comments, likes and hashtag timelines as read). Every other read app has one, in `projector.py`."""
