from django.apps import AppConfig


class FollowsConfig(AppConfig):
    name = "socialapp.write.follows"
    label = "follows"
    database = "default"
