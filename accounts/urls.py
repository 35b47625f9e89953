from django.urls import path

from . import views

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("me/profile/", views.profile, name="profile"),
    path("me/access-log/", views.access_log, name="access_log"),
    path("me/access-log/share/", views.care_grant_add, name="care_grant_add"),
    path("care-grants/<id:grant_id>/end/", views.care_grant_end, name="care_grant_end"),
    path("emergency-access/", views.emergency_access, name="emergency_access"),
    path("audit/emergency-access/", views.emergency_review, name="emergency_review"),
    path("me/family/", views.family, name="family"),
    path("me/consents/", views.consents, name="consents"),
    path("me/notifications/", views.notifications, name="notifications"),
    path("me/notifications/read/", views.notifications_read, name="notifications_read"),
    path("people/<id:user_id>/", views.user_profile, name="user_profile"),
    path("audit/", views.audit_log, name="audit_log"),
]
