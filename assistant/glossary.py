"""A hand-written Chinese -> English glossary of general news and diplomacy vocabulary.

It complements the lexicon learned from the bilingual document (assistant/lexicon.py), which only
knows words that occur often there. Entries are generic (events, roles, documents, quantities),
not facts about any question; an entry's English words are matched after stemming
(assistant/sentences.terms), so "organize" also finds "organized by".
"""

from __future__ import annotations

GLOSSARY: dict[str, str] = {
    # events and what happens at them
    "主办": "organized organizer hosted sponsored", "承办": "hosted organized", "协办": "co-organized",
    "举办": "held hosted", "举行": "held", "召开": "held convened", "开幕": "opened opening",
    "闭幕": "closed closing", "主持": "chaired presided co-chaired", "共同主持": "co-chaired",
    "出席": "attended", "参加": "attended participated", "参与": "participated", "会见": "met",
    "会谈": "talks", "访问": "visit visited", "国事访问": "state visit", "考察": "visited inspected",
    "参观": "visited", "体验": "experienced", "致辞": "speech address", "讲话": "speech",
    "发表": "delivered issued published", "发布": "released issued", "通过": "adopted",
    "签署": "signed", "签订": "signed", "启动": "launched", "揭牌": "unveiled inaugurated",
    "成立": "established founded", "建成": "completed built", "开通": "opened", "通车": "opened traffic",
    "移交": "handed over", "交接": "handed over", "培训": "training trained", "提出": "proposed put forward",
    "建议": "proposals suggestions", "主题": "theme themed", "议题": "topics", "名字": "name",
    "叫什么": "name called", "评选": "selected", "庆祝": "celebrate celebrating",
    # meetings and documents
    "会议": "meeting conference", "论坛": "forum", "峰会": "summit", "对话会": "dialogue",
    "研讨会": "seminar symposium workshop", "外长会": "foreign ministers meeting", "领导人会议": "leaders meeting",
    "部长级会议": "ministerial meeting", "宣言": "declaration", "倡议": "initiative", "声明": "statement",
    "联合声明": "joint statement", "行动计划": "plan of action", "五年计划": "five-year plan",
    "规划": "plan", "协议": "agreement", "协定": "agreement", "备忘录": "memorandum",
    "报告": "report", "文件": "documents", "清单": "list", "成果": "outcomes results",
    # people and bodies
    "主席": "president chairman", "国家主席": "president", "总理": "premier prime minister",
    "国务院总理": "premier", "总统": "president", "国王": "king", "王后": "queen", "外长": "foreign minister",
    "外交部长": "foreign minister", "部长": "minister", "副总理": "deputy prime minister", "大使": "ambassador",
    "省长": "governor", "副省长": "deputy governor", "书记": "secretary", "主任": "director",
    "领导人": "leader leaders", "代表": "representatives delegates", "嘉宾": "guests", "专家": "experts",
    "学者": "scholars", "青年": "youth young", "学生": "students", "官员": "officials",
    "游客": "tourists", "旅客": "passengers", "乘客": "passengers", "机构": "organization institution association",
    "协会": "association", "政府": "government", "地方政府": "local government", "外交部": "ministry of foreign affairs",
    "中心": "center", "大学": "university", "学校": "school", "小学": "primary school", "医院": "hospital",
    "企业": "enterprises companies", "媒体": "media",
    # places and infrastructure
    "城市": "city cities", "省": "province", "县": "county", "村": "village", "边境": "border",
    "口岸": "port", "港口": "port", "铁路": "railway", "高铁": "high-speed railway", "公路": "road highway",
    "高速公路": "expressway", "机场": "airport", "走廊": "corridor", "廊道": "corridor", "园区": "park zone",
    "湄公河": "mekong", "澜沧江": "lancang",
    # fields
    "合作": "cooperation", "贸易": "trade", "进出口": "import export", "出口": "export", "进口": "import",
    "投资": "investment", "经济": "economic economy", "农业": "agriculture agricultural", "水稻": "rice",
    "粮食": "food grain", "渔业": "fishery", "水资源": "water resources", "生态": "ecological ecology",
    "环境": "environment", "旅游": "tourism", "文化": "culture cultural", "遗产": "heritage",
    "执法": "law enforcement", "安全": "security", "巡逻": "patrol", "联合": "joint", "犯罪": "crime crimes",
    "诈骗": "fraud", "电信诈骗": "telecom fraud", "嫌疑人": "suspects", "遣返": "repatriated",
    "医疗": "medical", "卫生": "health", "数字": "digital", "创新": "innovation", "科技": "technology",
    "基金": "fund", "专项基金": "special fund", "项目": "projects project", "示范": "demonstration",
    "友好城市": "sister cities", "友城": "sister cities", "建交": "diplomatic relations",
    # time and quantity
    "周年": "anniversary", "年度": "annual", "每年": "annually every year", "两年": "two years",
    "首届": "first", "首次": "first", "亿美元": "billion", "美元": "dollars us$", "万人": "people",
    "人次": "passenger trips", "公里": "kilometers km", "百分比": "percent", "增长": "increase growth grew",
}


def glossary_terms(text: str, terms) -> dict[str, set[str]]:
    """Chinese entry -> its English terms, for every entry found in `text`."""
    return {zh: set(terms(en)) for zh, en in GLOSSARY.items() if zh in text}
