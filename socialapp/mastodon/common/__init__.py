"""What both halves of the Mastodon face share: entity rendering, errors, paging, parameters."""
