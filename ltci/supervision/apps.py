from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "ltci.supervision"
    label = "supervision"
    verbose_name = "基金监管"

    def ready(self):
        # A screening job's counts are by rule code: the job page shows each rule's name.
        from ltci.core.reports import COUNT_LABELS

        from .rulebase import RULES

        COUNT_LABELS.update({code: rule.name for code, rule in RULES.items()})
