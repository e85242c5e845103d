"""What the demo communities hold, from the seed articles
(000: 锦绣社区, 004: 东河社区).

Counts, compound names and the notable places are the seeds'; shop names,
exact positions, prices and hours are invented but plausible.
"""

from __future__ import annotations

# 锦绣社区: 145 basic-tier + 65 quality-tier shops (seed 000), by type code.
JINXIU_BASIC = {
    "convenience_store": 26,
    "supermarket": 6,
    "wet_market": 2,
    "fresh_grocery": 12,
    "breakfast": 26,
    "laundry": 8,
    "hair_beauty": 24,
    "photo_print": 6,
    "housekeeping": 6,
    "repair": 12,
    "pharmacy": 2,
    "parcel_post": 10,
    "recycling": 5,
}
JINXIU_QUALITY = {
    "restaurant": 25,
    "bookstore": 2,
    "fitness": 5,
    "wellness": 6,
    "education": 8,
    "leisure": 4,
    "cafe": 6,
    "pet_service": 3,
    "elderly_care": 4,
    "childcare": 2,
}
# Seed 000: a 三甲 hospital, a health centre, 2 specialist clinics, 3 bank kiosks,
# one government self-service machine. Public services, outside the 145/65.
JINXIU_PUBLIC = [
    ("hospital", "葛洲坝中心医院", "三级甲等综合医院,急诊24小时。"),
    (
        "health_centre",
        "葛洲坝街道社区卫生服务中心",
        "家庭医生签约、慢病随访、预防接种。",
    ),
    ("clinic", "锦绣口腔专科门诊", "口腔检查、洗牙、补牙。"),
    ("clinic", "锦绣中医专科诊所", "针灸推拿、中医内科。"),
    ("bank_gov", "中国银行24小时自助银行(锦绣)", "存取款、转账,24小时。"),
    ("bank_gov", "建设银行24小时自助网点", "存取款、缴费,24小时。"),
    ("bank_gov", "农商银行24小时自助网点", "存取款、社保卡业务。"),
    ("bank_gov", "社区便民政务自助机", "凭身份证查询打印房产、社保、医保信息。"),
]
JINXIU_CHAIN_SHARE_PERMILLE = 350  # seed 000: 35 % of outlets are chain brands

JINXIU_COMPOUNDS = [
    # name, kind, households, population, offset east (m), offset north (m)
    ("锦绣嘉苑", "property", 820, 2190, -120, 110),
    ("锦绣华庭", "property", 760, 2010, 0, 0),
    ("锦绣华府", "property", 690, 1840, 130, 90),
    ("机电小院", "old", 380, 930, -110, -120),
    ("佳鸿缘", "old", 360, 890, 120, -130),
]

# 东河社区 (seed 004): 7 compounds, 1,115 households, 2,553 people.
DONGHE_COMPOUNDS = [
    ("利兹城市公寓", "mixed", 236, 541, 40, 120),
    ("河滨公寓", "mixed", 198, 452, -150, 40),
    ("东河苑", "mixed", 172, 394, -60, -60),
    ("潮鸣嘉园", "mixed", 160, 366, 110, -20),
    ("建北新村", "old", 141, 323, 170, 90),
    ("庆春东河公寓", "mixed", 112, 258, 20, -150),
    ("体育场路小区", "mixed", 96, 219, -120, 150),
]

# 东河社区's 18 member merchants of the 大家卡 (seed 004 names the kinds).
# name, type, card rate (permille), VIP rate, services, note
DONGHE_MERCHANTS = [
    (
        "东河便民超市",
        "supermarket",
        950,
        980,
        [("日用品", None), ("粮油", None)],
        "满50元9.5折",
    ),
    (
        "阿明理发店",
        "hair_beauty",
        550,
        700,
        [("理发", 3000), ("洗剪吹", 3800), ("烫发", 16800)],
        "大家卡理发5.5折,比会员卡更划算",
    ),
    ("丝域美发", "hair_beauty", 750, 800, [("剪发", 4800), ("染发", 19800)], ""),
    ("洁诚洗衣店", "laundry", 800, 850, [("干洗西装", 3000), ("水洗衬衫", 1000)], ""),
    (
        "克莉丝汀蛋糕店(体育场路店)",
        "cafe",
        850,
        900,
        [("生日蛋糕", 12800), ("面包", 800)],
        "凭大家卡比会员卡更优惠",
    ),
    ("东河口腔门诊", "clinic", 800, 900, [("洗牙", 18000), ("补牙", 30000)], ""),
    (
        "喜上喜婚庆摄影",
        "photo_print",
        850,
        900,
        [("婚纱摄影", 399900), ("证件照", 3000)],
        "",
    ),
    ("心安心理咨询室", "wellness", 800, None, [("心理咨询(50分钟)", 30000)], ""),
    ("东河早餐铺", "breakfast", 900, None, [("小笼包", 800), ("豆浆", 300)], ""),
    ("建国北路药房", "pharmacy", 950, 980, [("常用药", None)], "非处方药9.5折"),
    ("潮鸣菜店", "fresh_grocery", 950, None, [("蔬菜", None), ("水果", None)], ""),
    ("老王修鞋配钥匙", "repair", 800, None, [("修鞋", 1000), ("配钥匙", 500)], ""),
    ("东河快递驿站", "parcel_post", None, None, [("代收快递", None)], ""),
    ("庆春书吧", "bookstore", 900, 950, [("图书", None), ("咖啡", 2500)], ""),
    ("乐动健身", "fitness", 700, 800, [("月卡", 29900)], ""),
    ("萌宠之家", "pet_service", 850, 900, [("宠物洗澡", 6000)], ""),
    (
        "东河幸福食堂",
        "elderly_care",
        900,
        None,
        [("老年午餐", 1200)],
        "70岁以上老人助餐",
    ),
    ("七彩文印", "photo_print", 800, None, [("复印", 20), ("打印", 50)], ""),
]

CHAIN_BRANDS = {
    "convenience_store": ["美宜佳", "中百罗森", "见福便利店", "Today便利店"],
    "supermarket": ["中百仓储", "武商量贩"],
    "fresh_grocery": ["钱大妈", "百果园"],
    "breakfast": ["巴比馒头", "早阳光"],
    "laundry": ["福奈特洗衣"],
    "hair_beauty": ["永琪美容美发", "丝域养发"],
    "photo_print": ["柯达冲印"],
    "pharmacy": ["老百姓大药房"],
    "parcel_post": ["菜鸟驿站", "中国邮政"],
    "restaurant": ["蜜雪冰城", "肯德基", "老乡鸡", "塔斯汀"],
    "cafe": ["瑞幸咖啡", "库迪咖啡"],
    "fitness": ["乐刻运动"],
    "bookstore": ["新华书店"],
    "education": ["新东方"],
    "repair": ["小米之家服务点"],
    "housekeeping": ["好慷在家"],
    "wellness": ["华夏良子"],
    "pet_service": ["宠物家"],
}

NAME_PREFIXES = [
    "锦绣",
    "葛洲坝",
    "三峡",
    "夷陵",
    "西陵",
    "老宜昌",
    "张记",
    "李记",
    "王姐",
    "刘师傅",
    "陈家",
    "小周",
    "好邻居",
    "阳光",
    "幸福",
    "如意",
    "金桥",
    "江畔",
]
TYPE_SUFFIXES = {
    "convenience_store": ["便利店", "24小时便利店", "小卖部"],
    "supermarket": ["生活超市", "综合超市"],
    "wet_market": ["农贸市场", "菜市场"],
    "fresh_grocery": ["生鲜超市", "鲜肉店", "水果店", "蔬菜店"],
    "breakfast": ["热干面", "早点铺", "包子铺", "豆浆油条"],
    "laundry": ["洗衣店", "干洗店"],
    "hair_beauty": ["理发店", "美发沙龙", "美容院", "快剪"],
    "photo_print": ["图文快印", "照相馆"],
    "housekeeping": ["家政服务", "保洁服务"],
    "repair": ["家电维修", "修鞋配钥匙", "手机维修", "裁缝铺", "自行车修理"],
    "pharmacy": ["大药房", "便民药店"],
    "parcel_post": ["快递驿站", "快递超市"],
    "recycling": ["再生资源回收站", "废品回收"],
    "restaurant": ["凉虾", "小面馆", "土菜馆", "萝卜饺子", "牛肉面", "烧烤"],
    "bookstore": ["书店", "阅读空间"],
    "fitness": ["健身房", "瑜伽馆", "乒乓球馆"],
    "wellness": ["推拿馆", "足疗养生", "艾灸馆"],
    "education": ["书法培训", "少儿英语", "钢琴教室", "美术培训"],
    "leisure": ["棋牌室", "KTV", "桌游馆"],
    "cafe": ["咖啡", "奶茶", "甜品屋"],
    "pet_service": ["宠物店", "宠物医院"],
    "elderly_care": ["幸福食堂", "盒子食堂", "社区养老中心", "居家医养健康中心"],
    "childcare": ["童萌亲子早教中心", "社区童萌亲子园"],
}
TYPE_SERVICES = {
    "convenience_store": [("日用品", None), ("饮料零食", None), ("代缴水电费", None)],
    "supermarket": [("粮油副食", None), ("日用百货", None)],
    "wet_market": [("蔬菜", None), ("鲜肉", None), ("水产", None)],
    "fresh_grocery": [("蔬菜", None), ("水果", None), ("鲜肉", None)],
    "breakfast": [("热干面", 600), ("豆浆", 200), ("油条", 150), ("包子", 150)],
    "laundry": [("干洗西装", 2800), ("水洗衬衫", 1000), ("皮衣护理", 12000)],
    "hair_beauty": [("理发", 2500), ("洗剪吹", 3500), ("烫发", 15800), ("染发", 12800)],
    "photo_print": [("复印", 20), ("打印", 50), ("证件照", 2500)],
    "housekeeping": [("日常保洁(2小时)", 8000), ("月嫂", None)],
    "repair": [("家电维修", None), ("修鞋", 1000), ("配钥匙", 500), ("换拉链", 1500)],
    "pharmacy": [("处方药", None), ("非处方药", None), ("测血压", 0)],
    "parcel_post": [("代收快递", None), ("寄件", 1000)],
    "recycling": [("废纸回收", None), ("旧家电回收", None)],
    "restaurant": [("招牌菜", 3800), ("家常菜", 2800)],
    "bookstore": [("图书", None), ("自习座位", 1000)],
    "fitness": [("月卡", 19900), ("单次", 3000)],
    "wellness": [("推拿(60分钟)", 9800), ("足疗", 6800)],
    "education": [("体验课", 0), ("课时包", 198000)],
    "leisure": [("包间(小时)", 4000)],
    "cafe": [("美式咖啡", 1500), ("奶茶", 1200), ("蛋糕", 2500)],
    "pet_service": [("宠物洗澡", 5000), ("疫苗", None)],
    "elderly_care": [("老年午餐", 1000), ("助洁", 3000), ("健康监测", 0)],
    "childcare": [("托育(月)", 280000), ("早教体验课", 0)],
}
TYPE_HOURS = {
    "convenience_store": "1-7 07:00-23:00",
    "breakfast": "1-7 06:00-11:00",
    "wet_market": "1-7 06:00-19:00",
    "restaurant": "1-7 10:30-14:00\n1-7 17:00-22:00",
    "pharmacy": "1-7 08:00-22:00",
    "elderly_care": "1-6 10:30-13:30",
    "childcare": "1-5 08:00-18:00",
    "education": "3-7 09:00-20:00",
    "leisure": "1-7 13:00-02:00",
    "hospital": "* 00:00-24:00",
    "health_centre": "1-5 08:00-17:30\n6 08:00-12:00",
    "clinic": "1-6 08:30-17:30",
    "bank_gov": "* 00:00-24:00",
}
DEFAULT_HOURS = "1-7 08:30-20:30"
STREETS_JINXIU = ["葛洲坝大道", "锦绣路", "西坝路", "黄河路", "三江路"]
STREETS_DONGHE = ["建国北路", "体育场路", "庆春路", "东河北路"]
