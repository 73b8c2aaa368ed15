from django.apps import AppConfig


class EnrolmentConfig(AppConfig):
    name = "ltci.enrolment"
    label = "enrolment"
    verbose_name = "参保登记"
