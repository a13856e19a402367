"""Political birthdays: the 29 February rule and mail retries."""

from partybuild.core.settings import Int, Setting, Text, declare
from partybuild.greetings.models import LeapDayRule

declare(
    "greetings",
    "政治生日",
    [
        Setting(
            "GREETINGS_LEAP_DAY_RULE",
            LeapDayRule.feb28.value,
            Text(choices=(("feb28", "平年在2月28日祝贺"), ("mar1", "平年在3月1日祝贺"))),
            "2月29日入党的党员",
            "闰年在2月29日祝贺；平年按此设置。",
            editable=True,
        ),
        Setting(
            "GREETINGS_MAIL_MAX_ATTEMPTS",
            5,
            Int(1, 20, "次"),
            "贺卡邮件最多发送次数",
            "发送失败后由定时任务重试，达到此次数后不再重试。",
            editable=True,
        ),
    ],
    order=20,
)
