"""End to end, in a real browser: sign up, confirm the e-mail from the sent message, log in, switch to Chinese."""
from __future__ import annotations

from django.core import mail

from accounts.models import EmailStatus, OutboundEmail, Role, User
from tests.e2e.conftest import mail_link

EMAIL = "li.na.e2e@example.test"
PASSWORD = "a-Long-passphrase-42"


def test_patient_signs_up_confirms_logs_in_and_switches_to_chinese(page, live_server, login_as):
    # Given the sign-up page, in English
    page.goto("/accounts/signup/")
    assert page.locator("html").get_attribute("lang") == "en"

    # When a patient signs up
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    with page.expect_navigation():
        page.locator("form:has(input[name=password2]) [type=submit]").first.click()

    # Then one patient exists, unverified, and exactly one verification e-mail went out through the outbox
    user = User.objects.get(email=EMAIL)
    assert user.role == Role.PATIENT
    assert user.emailaddress_set.get(email=EMAIL).verified is False
    assert list(OutboundEmail.objects.values_list("to", "status")) == [([EMAIL], EmailStatus.SENT)]
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [EMAIL]

    # When they follow the link from the message and confirm
    link = mail_link(mail.outbox[0])
    assert link.startswith(live_server.url + "/accounts/confirm-email/")
    page.goto(link)
    with page.expect_navigation():
        page.locator("form[method=post] [type=submit]", has_text="Confirm").first.click()
    assert user.emailaddress_set.get(email=EMAIL).verified is True

    # And log in: the English dashboard
    login_as(page, live_server, user, PASSWORD)
    assert page.url == f"{live_server.url}/dashboard/"
    assert page.get_by_test_id("dashboard-title").inner_text() == "My health"

    # When they pick 中文 in the language switcher
    with page.expect_navigation():
        page.get_by_test_id("language-select").select_option("zh-hans")

    # Then the dashboard is in Chinese
    assert page.url == f"{live_server.url}/dashboard/"
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.get_by_test_id("dashboard-title").inner_text() == "我的健康"
    body = page.locator("body").text_content()  # includes the closed account menu
    for chinese in ("仪表板", "家庭成员", "谁访问了我的数据", "退出"):
        assert chinese in body, chinese
    # (other apps' cards and links are translated by their own apps; these strings are accounts' and base's)
    for english in ("Welcome,", "Manage family members", "Who accessed my data", "Log out", "Dashboard"):
        assert english not in body, english
    # and the choice sticks on the next page
    page.goto("/me/profile/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"


def test_staff_log_in_types_a_real_totp_code_and_reaches_their_dashboard(new_page, live_server, login_as):
    # Checks the harness itself: REQUIRE_STAFF_MFA is on in tests, so a doctor must pass allauth's TOTP step.
    from allauth.mfa.models import Authenticator

    from tests.factories import DoctorFactory

    doctor = DoctorFactory()
    page = new_page(locale="zh-hans")
    login_as(page, live_server, doctor)
    assert Authenticator.objects.filter(user=doctor, type=Authenticator.Type.TOTP).count() == 1
    assert page.url == f"{live_server.url}/dashboard/"
    assert page.get_by_test_id("dashboard-title").inner_text() == "医生工作台"

    # a second log-in within the same 30 s TOTP period still works (allauth's replay mark is cleared)
    second = new_page()
    login_as(second, doctor)
    assert second.get_by_test_id("dashboard-title").inner_text() == "Doctor console"
