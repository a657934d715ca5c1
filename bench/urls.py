"""The bench server's URLs (bench/settings.py): the product's, plus the naive feed of bench/naive.py.
Never part of the product: only the read benchmark's gunicorn loads it."""

from django.urls import path

from bench.naive import NaiveFeedView
from socialapp import urls as product

urlpatterns = [path("bench/naive-feed", NaiveFeedView.as_view(), name="bench-naive-feed"), *product.urlpatterns]

handler400 = product.handler400
handler403 = product.handler403
handler404 = product.handler404
handler500 = product.handler500
