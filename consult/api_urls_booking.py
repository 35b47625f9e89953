from __future__ import annotations

from django.urls import path

from .apis import booking as b
from .apis import consultation as c
from .apis import recommend as rec

urlpatterns = [
    path("recommendations/", rec.RecommendationsApi.as_view(), name="api-consult-recommendations"),
    path("departments/", b.DepartmentListApi.as_view(), name="api-consult-departments"),
    path("doctors/", b.DoctorDirectoryApi.as_view(), name="api-consult-doctors"),
    path("doctors/<id:doctor_id>/slots/", b.DoctorSlotsApi.as_view(), name="api-consult-doctor-slots"),
    path("appointments/", b.AppointmentListApi.as_view(), name="api-consult-appointments"),
    path("appointments/<id:appointment_id>/", b.AppointmentDetailApi.as_view(), name="api-consult-appointment"),
    path("appointments/<id:appointment_id>/cancel/", b.AppointmentCancelApi.as_view(),
         name="api-consult-appointment-cancel"),
    path("appointments/<id:appointment_id>/pay/", b.AppointmentPayApi.as_view(), name="api-consult-appointment-pay"),
    path("appointments/<id:appointment_id>/reschedule/", b.AppointmentRescheduleApi.as_view(),
         name="api-consult-appointment-reschedule"),
    path("appointments/<id:appointment_id>/status/", b.AppointmentStatusApi.as_view(),
         name="api-consult-appointment-status"),
    path("appointments/<id:appointment_id>/follow-up/", b.FollowUpProposeApi.as_view(),
         name="api-consult-follow-up-propose"),
    path("appointments/<id:appointment_id>/consultation/", c.ConsultationApi.as_view(), name="api-consult-thread"),
    path("appointments/<id:appointment_id>/consultation/close/", c.ConsultationCloseApi.as_view(),
         name="api-consult-thread-close"),
    path("appointments/<id:appointment_id>/encounter/", c.EncounterRecordApi.as_view(),
         name="api-consult-encounter-record"),
    path("consultation-files/<id:message_id>/", c.AttachmentApi.as_view(), name="api-consult-attachment"),
    path("encounters/<id:encounter_id>/", c.EncounterDetailApi.as_view(), name="api-consult-encounter"),
    path("icd10/", c.ICD10SearchApi.as_view(), name="api-consult-icd10"),
    path("waitlist/", b.WaitlistApi.as_view(), name="api-consult-waitlist"),
    path("waitlist/<id:entry_id>/leave/", b.WaitlistLeaveApi.as_view(), name="api-consult-waitlist-leave"),
    path("follow-ups/", b.FollowUpListApi.as_view(), name="api-consult-follow-ups"),
    path("follow-ups/<id:proposal_id>/accept/", b.FollowUpAcceptApi.as_view(), name="api-consult-follow-up-accept"),
    path("schedules/", b.ScheduleApi.as_view(), name="api-consult-schedules"),
    path("schedules/<id:schedule_id>/remove/", b.ScheduleRemoveApi.as_view(), name="api-consult-schedule-remove"),
    path("leave-days/", b.LeaveApi.as_view(), name="api-consult-leave"),
    path("console/", b.ConsoleApi.as_view(), name="api-consult-console"),
]
