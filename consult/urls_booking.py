from __future__ import annotations

from django.urls import path

from .views import booking, console, consultation, encounters, ratings, video

urlpatterns = [
    path("doctors/", booking.directory, name="directory"),
    path("doctors/<id:doctor_id>/", booking.doctor_detail, name="doctor_detail"),
    path("doctors/by-department/", booking.triage_doctors, name="triage_doctors"),
    path("doctors/<id:doctor_id>/book/", booking.book, name="book"),
    path("doctors/<id:doctor_id>/waitlist/", booking.waitlist_join, name="waitlist_join"),
    path("me/waitlist/", booking.waitlist, name="waitlist"),
    path("me/waitlist/<id:entry_id>/leave/", booking.waitlist_leave, name="waitlist_leave"),
    path("me/appointments/", booking.my_appointments, name="my_appointments"),
    path("appointments/<id:appointment_id>/", booking.appointment_detail, name="appointment_detail"),
    path("appointments/<id:appointment_id>/cancel/", booking.appointment_cancel, name="appointment_cancel"),
    path("appointments/<id:appointment_id>/pay/", booking.appointment_pay, name="appointment_pay"),
    path("appointments/<id:appointment_id>/reschedule/", booking.appointment_reschedule,
         name="appointment_reschedule"),
    path("appointments/<id:appointment_id>/consultation/", consultation.consultation, name="consultation"),
    path("appointments/<id:appointment_id>/consultation/poll/", consultation.consultation_poll,
         name="consultation_poll"),
    path("appointments/<id:appointment_id>/consultation/close/", consultation.consultation_close,
         name="consultation_close"),
    path("appointments/<id:appointment_id>/consultation/follow-up/", consultation.consultation_follow_up,
         name="consultation_follow_up"),
    path("appointments/<id:appointment_id>/consultation/needs-in-person/", consultation.consultation_needs_in_person,
         name="consultation_needs_in_person"),
    path("appointments/<id:appointment_id>/video/", video.video_room, name="video_room"),
    path("consultation-files/<id:message_id>/", consultation.attachment, name="attachment"),
    path("appointments/<id:appointment_id>/encounter/", encounters.encounter_edit, name="encounter_edit"),
    path("encounters/<id:encounter_id>/", encounters.encounter_detail, name="encounter_detail"),
    path("icd10/search/", encounters.icd10_lookup, name="icd10_lookup"),
    path("follow-ups/<id:proposal_id>/accept/", booking.follow_up_accept_view, name="follow_up_accept"),
    path("appointments/<id:appointment_id>/rating/", ratings.rating_give, name="rating_give"),
    path("ratings/<id:rating_id>/reply/", ratings.rating_reply, name="rating_reply"),
    path("staff/ratings/", ratings.moderation, name="ratings_moderation"),
    path("staff/ratings/<id:rating_id>/moderate/", ratings.moderate, name="ratings_moderate"),
    path("doctor/schedule/", booking.schedule, name="schedule"),
    path("doctor/console/", console.console, name="console"),
    path("doctor/appointments/<id:appointment_id>/action/", console.appointment_action, name="appointment_action"),
]
