from __future__ import annotations

from django.urls import path

from .views import booking

urlpatterns = [
    path("doctors/", booking.directory, name="directory"),
    path("doctors/<int:doctor_id>/", booking.doctor_detail, name="doctor_detail"),
    path("doctors/<int:doctor_id>/book/", booking.book, name="book"),
    path("doctors/<int:doctor_id>/waitlist/", booking.waitlist_join, name="waitlist_join"),
    path("me/waitlist/", booking.waitlist, name="waitlist"),
    path("me/waitlist/<int:entry_id>/leave/", booking.waitlist_leave, name="waitlist_leave"),
    path("me/appointments/", booking.my_appointments, name="my_appointments"),
    path("appointments/<int:appointment_id>/", booking.appointment_detail, name="appointment_detail"),
    path("appointments/<int:appointment_id>/cancel/", booking.appointment_cancel, name="appointment_cancel"),
    path("appointments/<int:appointment_id>/reschedule/", booking.appointment_reschedule,
         name="appointment_reschedule"),
    path("follow-ups/<int:proposal_id>/accept/", booking.follow_up_accept_view, name="follow_up_accept"),
    path("doctor/schedule/", booking.schedule, name="schedule"),
]
