from django.apps import AppConfig


class PostsConfig(AppConfig):
    name = "socialapp.write.posts"
    label = "posts"
    database = "default"
