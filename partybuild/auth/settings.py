"""Accounts and login: password policy and lockout."""

from partybuild.core.settings import Int, Setting, declare

declare(
    "auth",
    "账户与登录",
    [
        Setting(
            "PASSWORD_MIN_LENGTH",
            10,
            Int(8, 64, "位"),
            "密码最短长度",
            "设置或修改密码时的最少位数；已有密码不受影响。",
            editable=True,
        ),
        Setting(
            "LOGIN_MAX_FAILURES",
            5,
            Int(3, 20, "次"),
            "连续登录失败锁定次数",
            "同一账户连续输错密码达到此次数后临时锁定。",
            editable=True,
        ),
        Setting(
            "LOGIN_LOCK_MINUTES",
            15,
            Int(1, 1440, "分钟"),
            "账户锁定时长",
            editable=True,
        ),
    ],
    order=30,
)
