from django.urls import path

from allocation import views

app_name = "allocation"
urlpatterns = [
    path("keys/", views.key_list, name="key-list"),
    path("keys/compare/", views.key_compare, name="key-compare"),
    path("keys/<int:key_id>/", views.key_detail, name="key-detail"),
    path("keys/<int:key_id>/decision/", views.key_decision, name="key-decision"),
]
