"""Accounts and login: password policy, account lockout and the per-address limit."""

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
        Setting(
            "LOGIN_CLIENT_LIMIT",
            20,
            Int(5, 1000, "次"),
            "同一地址登录失败上限",
            "同一客户端地址在统计时段内登录失败达到此次数后，暂停其登录尝试（防止逐个试探用户名）。",
            editable=True,
        ),
        Setting(
            "LOGIN_CLIENT_WINDOW",
            300,
            Int(60, 86400, "秒"),
            "登录失败统计时段",
            "按客户端地址统计登录失败次数的时间窗口。",
            editable=True,
        ),
    ],
    order=30,
)
