"""The small vocabularies name matching relies on: legal forms, place names, industry words.

Everything here is a documented table, not a model.  The tables answer three questions:

* what is a *legal form* (stripped from a name before it is compared: "Co., Ltd.", 有限公司,
  "Youxiangongsi"…),
* what is a *place* (kept in a name, because "Innoscience (Suzhou)" and "Innoscience (Zhuhai)"
  are different enterprises, but never enough on its own to identify one),
* what is a *generic word* (places, industries, legal forms, connectives: a name made only of
  these, like "Suzhou Technology Co., Ltd.", identifies nobody and is never indexed).

Pinyin spellings of the Chinese tables are computed once at import (pypinyin, phrase-aware, so
厦门 is "xiamen"), which keeps each table written once, in Chinese.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from pypinyin import lazy_pinyin

# --- legal forms -------------------------------------------------------------------------------

# Chinese legal-form suffixes, longest first so 股份有限公司 wins over 有限公司.  The value is the
# canonical label (used only to tell "Xiaomi Inc." from "Xiaomi Corporation" when both are
# registered) and the English form used when a Chinese name is translated.
ZH_LEGAL_FORMS: dict[str, tuple[str, str]] = {
    "集团股份有限公司": ("ltd", "Group Co., Ltd."),
    "集团有限公司": ("ltd", "Group Co., Ltd."),
    "股份有限公司": ("ltd", "Co., Ltd."),
    "有限责任公司": ("ltd", "Co., Ltd."),
    "有限公司": ("ltd", "Co., Ltd."),
    "集团公司": ("corp", "Group Corporation"),
    "总公司": ("corp", "Corporation"),
    "公司": ("co", "Company"),
    "集团": ("group", "Group"),
    "商行": ("co", "Company"),
    "经营部": ("co", "Company"),
    "工厂": ("factory", "Factory"),
    "厂": ("factory", "Factory"),
}
ZH_LEGAL_SUFFIXES: tuple[str, ...] = tuple(sorted(ZH_LEGAL_FORMS, key=len, reverse=True))

# Latin legal forms as token sequences after punctuation removal ("Co., Ltd." → "co ltd"); the
# matcher compares the *joined* tokens, so "you xian gong si", "youxian gongsi" and
# "youxiangongsi" are one entry.  Label = canonical form.
_LATIN_LEGAL_FORMS: dict[str, tuple[str, ...]] = {
    "ltd": (
        "co ltd", "co limited", "company ltd", "company limited", "ltd", "limited", "pte ltd",
        "pty ltd", "pvt ltd", "private limited", "youxiangongsi", "gufenyouxiangongsi",
        "youxianzerengongsi", "jituanyouxiangongsi", "jituangufenyouxiangongsi",
    ),
    "inc": ("inc", "incorporated"),
    "corp": ("corp", "corporation", "jituangongsi", "zonggongsi"),
    "factory": ("factory", "gongchang"),
    "co": ("co", "company", "gongsi"),
    "group": ("group", "jituan"),
    "llc": ("llc", "l l c"),
    "llp": ("llp", "lp"),
    "plc": ("plc",),
    "gmbh": ("gmbh", "gmbh co kg", "kg"),
    "ag": ("ag",),
    "sa": ("sa", "s a", "sas", "sarl", "s a r l"),
    "bv": ("bv", "b v", "nv", "n v"),
    "srl": ("srl", "spa", "s p a"),
    "oy": ("oy", "oyj", "ab", "as"),
    "kk": ("kk",),
    "pte": ("pte", "pty", "pvt"),
}  # fmt: skip
LATIN_LEGAL_FORMS: dict[str, str] = {
    form.replace(" ", ""): label for label, forms in _LATIN_LEGAL_FORMS.items() for form in forms
}
# Single tokens that start a legal form: a one-word name in free text ("Xiaomi") is only taken
# as a company mention when one of these follows it ("Xiaomi Corporation").
# Single letters ("s" of "s a") and words that are also English ("as") are left out: "Xiaomi's"
# must not read as "Xiaomi S.A.".
LEGAL_LEAD_TOKENS: frozenset[str] = frozenset(
    first
    for forms in _LATIN_LEGAL_FORMS.values()
    for first in (form.split()[0] for form in forms)
    if len(first) > 1 and first not in {"ab", "as", "lp", "kg"}
)
MAX_LEGAL_TOKENS = 6  # "gu fen you xian gong si"

# --- places --------------------------------------------------------------------------------------


# Provinces and province-level units, then the prefecture-level cities that export the most
# (plus a few county-level manufacturing towns: 义乌, 昆山, 晋江…).  Not exhaustive: a name that
# starts with an unknown "XX市" is still read as a place by the Chinese name parser.
def _words(text: str) -> list[str]:
    return text.split()


ZH_PROVINCES = _words(
    "北京 天津 上海 重庆 河北 山西 辽宁 吉林 黑龙江 江苏 浙江 安徽 福建 江西 山东 河南 湖北 湖南 "
    "广东 海南 四川 贵州 云南 陕西 甘肃 青海 台湾 内蒙古 广西 西藏 宁夏 新疆 香港 澳门"
)
ZH_CITIES = _words(
    "深圳 广州 东莞 佛山 中山 珠海 惠州 江门 汕头 潮州 揭阳 肇庆 清远 韶关 湛江 茂名 梅州 汕尾 阳江 "
    "杭州 宁波 温州 嘉兴 湖州 绍兴 金华 衢州 舟山 台州 丽水 义乌 永康 乐清 慈溪 余姚 "
    "苏州 南京 无锡 常州 南通 扬州 镇江 泰州 盐城 淮安 连云港 宿迁 徐州 昆山 江阴 常熟 张家港 "
    "厦门 福州 泉州 漳州 莆田 宁德 龙岩 三明 南平 晋江 石狮 "
    "青岛 济南 烟台 潍坊 威海 淄博 临沂 济宁 日照 东营 德州 聊城 滨州 菏泽 枣庄 泰安 "
    "成都 绵阳 德阳 宜宾 泸州 武汉 宜昌 襄阳 长沙 株洲 湘潭 衡阳 岳阳 郑州 洛阳 新乡 许昌 南阳 "
    "合肥 芜湖 蚌埠 马鞍山 安庆 滁州 六安 南昌 赣州 九江 景德镇 上饶 "
    "石家庄 保定 唐山 廊坊 沧州 邢台 邯郸 太原 大同 沈阳 大连 鞍山 长春 吉林 哈尔滨 大庆 "
    "西安 宝鸡 咸阳 兰州 西宁 银川 乌鲁木齐 昆明 贵阳 南宁 柳州 桂林 海口 三亚 呼和浩特 包头 拉萨 "
    "天津 重庆 北京 上海 台北 新北 台中 台南 高雄 桃园 新竹 九龙"
)
ZH_PLACES: tuple[str, ...] = tuple(sorted(set(ZH_PROVINCES + ZH_CITIES), key=len, reverse=True))
# Administrative suffixes written after a place (深圳市, 广东省, 广西壮族自治区), longest first.
ZH_PLACE_SUFFIXES = ("壮族自治区", "回族自治区", "维吾尔自治区", "特别行政区", "自治区", "省", "市")

# Conventional English spellings that pinyin does not produce (or that are two words).
_EXTRA_PLACE_WORDS = (
    "hong kong", "hongkong", "hk", "kowloon", "macau", "macao", "taipei", "new taipei", "xi an",
    "shaanxi", "canton", "tibet", "inner mongolia", "amoy", "peking",
)  # fmt: skip
# "America(s)" and "Europe" are left out on purpose: "Panasonic Corporation of North America" is
# a company of its own, not "Panasonic Corporation" located somewhere.
COUNTRY_WORDS = (
    "china", "prc", "peoples republic of china", "mainland china", "taiwan", "japan", "korea",
    "south korea", "republic of korea", "usa", "us", "united states", "united states of america",
    "canada", "mexico", "united kingdom", "uk", "england",
    "germany", "france", "italy", "spain", "netherlands", "finland", "sweden", "switzerland",
    "singapore", "malaysia", "vietnam", "thailand", "india", "indonesia", "philippines",
    "australia", "israel", "ireland", "belgium", "austria", "denmark", "norway", "brazil",
)  # fmt: skip
# Two-letter US state codes and other words that end an address ("…, Raleigh, NC"): only used
# to recognise a location tail after a legal form, never to classify a name word.
US_STATE_CODES = frozenset(
    _words(
        "al ak az ar ca co ct de fl ga hi id il in ia ks ky la me md ma mi mn ms mo mt ne nv nh nj nm "
        "ny nc nd oh ok or pa ri sc sd tn tx ut vt va wa wv wi wy dc"
    )
)
ADDRESS_WORDS = frozenset({"city", "province", "district", "county", "town", "zone", "sar", "prc"})

# --- industries ------------------------------------------------------------------------------

# Chinese industry words (行业表述) with the English a company's own translation usually uses.
# Used both to split a Chinese name (place + 字号 + industry + legal form) and to write its
# English form: 深圳市利世安科技有限公司 → "Shenzhen Lishian Technology Co., Ltd.".
ZH_INDUSTRY_WORDS: dict[str, str] = {
    "信息技术": "Information Technology",
    "电子商务": "E-commerce",
    "国际贸易": "International Trading",
    "医疗器械": "Medical Device",
    "汽车配件": "Auto Parts",
    "户外用品": "Outdoor Products",
    "新材料": "New Material",
    "新能源": "New Energy",
    "光电子": "Optoelectronics",
    "半导体": "Semiconductor",
    "进出口": "Import and Export",
    "供应链": "Supply Chain",
    "高科技": "High Technology",
    "日用品": "Daily Products",
    "光电": "Optoelectronics",
    "电子": "Electronics",
    "电器": "Electric Appliance",
    "电气": "Electric",
    "电池": "Battery",
    "能源": "Energy",
    "科技": "Technology",
    "技术": "Technology",
    "实业": "Industrial",
    "工业": "Industry",
    "贸易": "Trading",
    "商贸": "Trading",
    "国际": "International",
    "发展": "Development",
    "投资": "Investment",
    "控股": "Holdings",
    "制造": "Manufacturing",
    "机械": "Machinery",
    "设备": "Equipment",
    "智能": "Intelligent",
    "数码": "Digital",
    "数字": "Digital",
    "网络": "Network",
    "通讯": "Communication",
    "通信": "Communication",
    "照明": "Lighting",
    "医疗": "Medical",
    "生物": "Biological",
    "材料": "Material",
    "化工": "Chemical",
    "塑胶": "Plastic",
    "塑料": "Plastic",
    "五金": "Hardware",
    "模具": "Mould",
    "精密": "Precision",
    "家具": "Furniture",
    "家居": "Home",
    "服饰": "Apparel",
    "服装": "Garment",
    "纺织": "Textile",
    "玩具": "Toy",
    "汽车": "Auto",
    "配件": "Parts",
    "用品": "Products",
    "创新": "Innovation",
    "软件": "Software",
    "信息": "Information",
    "环保": "Environmental Protection",
    "包装": "Packaging",
    "印刷": "Printing",
    "食品": "Food",
    "物流": "Logistics",
    "电商": "E-commerce",
}
ZH_INDUSTRY_SUFFIXES: tuple[str, ...] = tuple(sorted(ZH_INDUSTRY_WORDS, key=len, reverse=True))

# Spelling variants folded to one form on both sides (registry and source), so
# "Kingwills New Materials Technology" equals "Kingwills New Material Technology".  Only generic
# words are folded: a distinctive word is never rewritten.
CANONICAL_WORDS: dict[str, str] = {
    "technologies": "technology", "tech": "technology", "technological": "technology",
    "materials": "material", "electronic": "electronics", "industries": "industrial",
    "industry": "industrial", "intl": "international", "mfg": "manufacturing",
    "manufacture": "manufacturing", "manufacturer": "manufacturing", "sciences": "science",
    "products": "product", "devices": "device", "communications": "communication",
    "mold": "mould", "moulds": "mould", "molds": "mould", "imp": "import", "exp": "export",
    "trade": "trading", "systems": "system", "solutions": "solution", "services": "service",
    "holding": "holdings", "toys": "toy", "garments": "garment", "textiles": "textile",
    "batteries": "battery", "parts": "part", "appliances": "appliance",
    "accessories": "accessory", "enterprises": "enterprise",
    "optoelectronic": "optoelectronics", "opto": "optoelectronics", "machines": "machinery",
    "machine": "machinery", "equipments": "equipment", "semiconductors": "semiconductor",
}  # fmt: skip
# Words dropped from every name and text token stream ("&" becomes "and" in names but a space in
# text, so neither may count).
STOP_WORDS = frozenset({"and", "the"})
# A word dropped when the word given here follows it (stop words between do not count): 科技 is
# translated "Technology", "Science and Technology" and "Sci-Tech" alike, so "Shenzhen Zhengming
# Science and Technology" (337-TA-1424) is the registry's "深圳市正明科技" = "Shenzhen Zhengming
# Technology".  Generic words only, like CANONICAL_WORDS.
DROPPED_BEFORE: dict[str, str] = {"science": "technology", "sci": "technology"}

# English generic words that are not translations of the table above.
_EXTRA_GENERIC_WORDS = (
    "new", "high", "science", "scientific", "global", "group", "holdings", "international",
    "system", "solution", "service", "enterprise", "commercial", "commerce", "e-commerce", "e",
    "import", "export", "factory", "smart", "manufacturing", "product", "device", "part",
    "accessory", "appliance", "industrial", "trading", "electric", "electrical", "intelligent",
    "innovation", "innovations", "creative", "development", "co", "company", "of", "shop",
    "store", "official", "online", "supply", "chain", "power", "energy", "light", "lighting",
    "optical", "precision", "hardware", "network", "information", "software", "media",
    "culture", "cultural", "art", "arts", "design", "brand", "brands", "sports", "sport",
    "outdoor", "outdoors", "home", "household", "kitchen", "garden", "beauty", "health",
    "healthcare", "pharmaceutical", "biotech", "biotechnology", "bio", "agricultural",
    "textile", "apparel", "clothing", "fashion", "garment", "shoes", "leather", "furniture",
    "toy", "auto", "automotive", "vehicle", "motor", "machinery", "equipment", "instrument",
    "instruments", "tools", "tool", "metal", "metals", "steel", "plastic", "rubber", "glass",
    "paper", "packaging", "printing", "chemical", "chemicals", "material", "logistics",
    "investment", "digital", "communication", "telecom", "display", "semiconductor", "battery",
    "solar", "medical", "economic", "economy", "business", "limited", "ltd", "inc", "corp",
    "corporation", "llc", "imp", "exp", "trade", "daily", "food", "foods", "environmental",
    "protection", "optoelectronics", "technology", "electronics", "mould", "biological",
    "america", "americas", "asia", "pacific", "europe", "european", "world", "worldwide",
    "universal", "united", "general", "china", "chinese", "sino", "zhongguo", "zhonghua",
)  # fmt: skip


def _compact(text: str) -> str:
    return "".join(text.lower().replace("-", " ").split())


def _joined_pinyin(zh: str) -> str:
    return "".join(lazy_pinyin(zh))


@lru_cache(maxsize=1)
def _tables() -> tuple[frozenset[str], frozenset[str], dict[str, str]]:
    """(place words, generic words, zh place → pinyin), all as joined lowercase strings."""
    place_pinyin = {place: _joined_pinyin(place) for place in ZH_PLACES}
    places: set[str] = set(place_pinyin.values())
    places.update(place + "shi" for place in place_pinyin.values())  # 深圳市 → shenzhenshi
    places.update(place + "sheng" for place in place_pinyin.values())  # 广东省 → guangdongsheng
    places.update(_compact(word) for word in _EXTRA_PLACE_WORDS)
    places.update(_compact(word) for word in COUNTRY_WORDS)
    generic: set[str] = set(places)
    for zh, english in ZH_INDUSTRY_WORDS.items():
        generic.add(_joined_pinyin(zh))  # keji, dianzi, maoyi…
        generic.update(canonical_word(word) for word in english.lower().replace("-", " ").split())
        generic.add(_compact(english))
    generic.update(_compact(word) for word in _EXTRA_GENERIC_WORDS)
    generic.update(LATIN_LEGAL_FORMS)
    generic.update(LEGAL_LEAD_TOKENS)
    generic.update(CANONICAL_WORDS.values())
    generic.update(STOP_WORDS)
    # Chinese words too, for names that keep their words apart: "英诺赛科（苏州）科技".
    generic.update(ZH_PLACES)
    generic.update(place + suffix for place in ZH_PLACES for suffix in ZH_PLACE_SUFFIXES)
    generic.update(ZH_INDUSTRY_WORDS)
    generic.update(ZH_LEGAL_FORMS)
    return frozenset(places), frozenset(generic), place_pinyin


def canonical_word(token: str) -> str:
    return CANONICAL_WORDS.get(token, token)


def dropped_positions(words: Sequence[str]) -> set[int]:
    """Positions of the words DROPPED_BEFORE removes from canonical ``words``."""
    dropped: set[int] = set()
    for position, word in enumerate(words):
        follower = DROPPED_BEFORE.get(word)
        if follower is None:
            continue
        after = position + 1
        while after < len(words) and words[after] in STOP_WORDS:
            after += 1
        if after < len(words) and words[after] == follower:
            dropped.add(position)
    return dropped


def place_words() -> frozenset[str]:
    """Every place as a joined lowercase word: "shenzhen", "shenzhenshi", "hongkong", "china"."""
    return _tables()[0]


def generic_words() -> frozenset[str]:
    """Places, industry words (English and pinyin), legal forms and connectives."""
    return _tables()[1]


def zh_place_pinyin(place: str) -> str:
    """Joined pinyin of a Chinese place from the table (computed once), else by pypinyin."""
    known = _tables()[2].get(place)
    return known if known is not None else _joined_pinyin(place)


@lru_cache(maxsize=1)
def _place_bases() -> dict[str, str]:
    bases: dict[str, str] = {}
    for pinyin_place in _tables()[2].values():
        for suffix in ("", "shi", "sheng"):
            bases[pinyin_place + suffix] = pinyin_place
    return bases


def place_base(word: str) -> str:
    """A place without its administrative suffix: "shenzhenshi" → "shenzhen"."""
    return _place_bases().get(word, word)


@lru_cache(maxsize=1)
def location_words() -> frozenset[str]:
    """Words that may end an address after a company name ("…, Xiamen, China", "…, Raleigh, NC")."""
    return place_words() | US_STATE_CODES | ADDRESS_WORDS


MAX_MERGE = 3  # "united states of america" is folded by _compact already; 3 covers "new taipei city"


def merge_generic(tokens: Sequence[str]) -> list[tuple[str, bool]]:
    """Split a token sequence into (word, is_generic) pieces, joining up to three adjacent tokens
    when together they form a generic word ("hong kong" → "hongkong", "shen zhen" → "shenzhen").

    Longest join first, so a spaced place never leaves distinctive-looking syllables behind."""
    generic = generic_words()
    pieces: list[tuple[str, bool]] = []
    i = 0
    while i < len(tokens):
        for width in range(min(MAX_MERGE, len(tokens) - i), 0, -1):
            joined = "".join(tokens[i : i + width])
            if joined in generic:
                pieces.append((joined, True))
                i += width
                break
        else:
            pieces.append((tokens[i], False))
            i += 1
    return pieces


def is_generic_name(tokens: Sequence[str]) -> bool:
    """True when no word of the name identifies anyone ("suzhou technology", "shenzhen electronics")."""
    return all(is_generic for _, is_generic in merge_generic(tokens))


def distinctive_words(tokens: Sequence[str]) -> list[str]:
    return [word for word, is_generic in merge_generic(tokens) if not is_generic]


def place_set(tokens: Sequence[str]) -> frozenset[str]:
    places = place_words()
    return frozenset(word for word, is_generic in merge_generic(tokens) if is_generic and word in places)
