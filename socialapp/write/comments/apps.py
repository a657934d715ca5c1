from django.apps import AppConfig


class CommentsConfig(AppConfig):
    name = "socialapp.write.comments"
    label = "comments"
    database = "default"
