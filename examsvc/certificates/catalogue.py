"""What a certificate is for: the national catalogue of special operations (特种作业目录, 原国家安全监管总局令
第30号附件, as amended 2015) by item code, and the competence certificate's personnel and industry."""

from __future__ import annotations

from examsvc.banks.document import CATEGORY_LABELS, INDUSTRY_LABELS, Industry, PersonnelCategory

SPECIAL_OPERATION_ITEMS: dict[str, str] = {
    "1.1": "高压电工作业", "1.2": "低压电工作业", "1.3": "防爆电气作业",
    "2.1": "熔化焊接与热切割作业", "2.2": "压力焊作业", "2.3": "钎焊作业",
    "3.1": "登高架设作业", "3.2": "高处安装、维护、拆除作业",
    "4.1": "制冷与空调设备运行操作作业", "4.2": "制冷与空调设备安装修理作业",
    "5.1": "煤矿井下电气作业", "5.2": "煤矿井下爆破作业", "5.3": "煤矿安全监测监控作业", "5.4": "煤矿瓦斯检查作业",
    "5.5": "煤矿安全检查作业", "5.6": "煤矿提升机操作作业", "5.7": "煤矿采煤机（掘进机）操作作业",
    "5.8": "煤矿瓦斯抽采作业", "5.9": "煤矿防突作业", "5.10": "煤矿探放水作业",
    "6.1": "金属非金属矿井通风作业", "6.2": "尾矿作业", "6.3": "金属非金属矿山安全检查作业",
    "6.4": "金属非金属矿山提升机操作作业", "6.5": "金属非金属矿山支柱作业", "6.6": "金属非金属矿山井下电气作业",
    "6.7": "金属非金属矿山排水作业", "6.8": "金属非金属矿山爆破作业",
    "7.1": "司钻作业",
    "8.1": "煤气作业",
    "9.1": "光气及光气化工艺作业", "9.2": "氯碱电解工艺作业", "9.3": "氯化工艺作业", "9.4": "硝化工艺作业",
    "9.5": "合成氨工艺作业", "9.6": "裂解（裂化）工艺作业", "9.7": "氟化工艺作业", "9.8": "加氢工艺作业",
    "9.9": "重氮化工艺作业", "9.10": "氧化工艺作业", "9.11": "过氧化工艺作业", "9.12": "胺基化工艺作业",
    "9.13": "磺化工艺作业", "9.14": "聚合工艺作业", "9.15": "烷基化工艺作业", "9.16": "化工自动化控制仪表作业",
    "10.1": "烟火药制造作业", "10.2": "黑火药制造作业", "10.3": "引火线制造作业", "10.4": "烟花爆竹产品涉药作业",
    "10.5": "烟花爆竹储存作业",
}


# The catalogue's categories (作业类别): an item code's part before the dot.
OPERATION_CATEGORIES: dict[str, str] = {
    "1": "电工作业", "2": "焊接与热切割作业", "3": "高处作业", "4": "制冷与空调作业", "5": "煤矿安全作业",
    "6": "金属非金属矿山安全作业", "7": "石油天然气安全作业", "8": "冶金（有色）生产安全作业",
    "9": "危险化学品安全作业", "10": "烟花爆竹安全作业",
}


def operation_category(code: str) -> str:
    """作业类别 of an item code (1.2 → 电工作业); empty for a category the catalogue does not name."""
    return OPERATION_CATEGORIES.get(code.split(".", 1)[0], "")


def special_operation_name(code: str) -> str:
    return SPECIAL_OPERATION_ITEMS.get(code, f"特种作业 {code}")


def competence_labels(item: str) -> tuple[str, str] | None:
    """(人员类别, 行业类别) of a competence certificate's item code (``principal/hazardous_chemicals``), or None
    for a code this catalogue does not know."""
    category, _, industry = item.partition("/")
    try:
        return CATEGORY_LABELS[PersonnelCategory(category)], INDUSTRY_LABELS[Industry(industry or Industry.GENERAL)]
    except (ValueError, KeyError):
        return None


def competence_item(category: str, industry: str) -> tuple[str, str]:
    """(code, name) of a competence certificate, e.g. ("principal/hazardous_chemicals", "危险化学品主要负责人")."""
    category_label = CATEGORY_LABELS.get(PersonnelCategory(category), category)
    industry_label = "" if industry == Industry.GENERAL else INDUSTRY_LABELS.get(Industry(industry), industry)
    return f"{category}/{industry}", f"{industry_label}{category_label}"
