"""Model posts and rating rounds: group weights, minimum raters, grade bands, terms."""

from partybuild.core.settings import Bands, Int, Parts, Setting, declare

GROUP_PARTS = (("leader", "领导测评"), ("peer", "党员互评"), ("public", "群众测评"))

declare(
    "ratings",
    "党员示范岗测评",
    [
        Setting(
            "RATING_GROUP_WEIGHTS",
            {"leader": 40, "peer": 30, "public": 30},
            Parts(GROUP_PARTS, total=100, unit="%"),
            "测评人群权重",
            "新建测评时的默认权重，合计须为 100；每次测评可单独调整。",
            editable=True,
        ),
        Setting(
            "RATING_MIN_RATERS",
            3,
            Int(1, 100, "人"),
            "显示分组得分的最少测评人数",
            "某一人群的测评人数少于此数时，不显示该组得分，也不计入总分（权重由其余各组按比例分担），"
            "以免推知个人评分。新建测评时取当时的值。",
            editable=True,
        ),
        Setting(
            "RATING_GRADES",
            [(90, "优秀"), (70, "合格"), (0, "不达标")],
            Bands(),
            "测评等次",
            "总分（百分制）不低于某等次最低分即评为该等次。",
            editable=True,
        ),
        Setting(
            "RATING_REVOKE_BELOW",
            70,
            Int(0, 100, "分"),
            "收回牌子提示线",
            "测评总分低于此分的示范岗标记为“建议收回牌子”。",
            editable=True,
        ),
        Setting(
            "MODEL_POST_TERM_YEARS",
            2,
            Int(1, 10, "年"),
            "示范岗任期",
            "授牌或续期时的默认任期。",
            editable=True,
        ),
        Setting(
            "MODEL_POST_OBJECTION_DAYS",
            5,
            Int(1, 30, "天"),
            "公示期",
            "示范岗公示的天数，公示期内可登记异议。",
            editable=True,
        ),
        Setting(
            "RATING_REMIND_DAYS",
            2,
            Int(1, 30, "天"),
            "测评截止提醒提前天数",
            "测评结束前多少天提醒尚未完成测评的测评人。",
            editable=True,
        ),
    ],
    order=25,
)
