from django.apps import AppConfig


class AssessmentConfig(AppConfig):
    name = "ltci.assessment"
    label = "assessment"
    verbose_name = "失能等级评估"
