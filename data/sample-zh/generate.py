"""How the Chinese sample catalogue and its judgments were written (run it to write them again).

    python data/sample-zh/generate.py

Products come from hand-written product lines (type, category, brands with their models, attribute
choices, price range, selling points with a sentence each). Titles mix several word orders, brand
spellings and marketing tags, as Chinese shop titles do. Each query is a small rule over product
attributes, graded 3 = an asked type with every asked attribute, 2 = an asked type with an attribute
off, 1 = another type in the same leaf category (or one the query names as related), 0 = a judged
product of an unrelated type.
"""

from __future__ import annotations

import json
import math
import random
from pathlib import Path
from typing import NamedTuple

HERE = Path(__file__).parent


class Line(NamedTuple):
    """One product type: where it sits and what its products may be."""

    category: str
    names: tuple[str, ...]  # how titles call it
    brands: dict[str, tuple[str, ...]]  # "中文/English" (or "中文") -> that brand's models
    options: dict[str, tuple[str, ...]]  # attribute -> choices; a product takes one of each
    prices: tuple[int, int]  # CNY range of a model's base price
    features: tuple[tuple[str, str], ...]  # (selling point for the title, sentence for the description)
    model_key: str = "型号"  # the attribute the model is stored under
    price_by: str | None = None  # an attribute whose choices go from cheap to dear (capacity, weight)
    tags: tuple[str, ...] = ()  # this line's own marketing tags; may name attributes, e.g. "2024{季节}新款"


LINES = {
    "头戴式耳机": Line(
        category="数码 > 耳机",
        names=("头戴式耳机", "无线蓝牙耳机 头戴式", "头戴式蓝牙耳机"),
        brands={
            "声澜/Sonora": ("SN-900X5", "SN-700H", "SN-Q30"),
            "律动/Rhythmo": ("RM-H8 Pro", "RM-H6"),
            "静界/QuietZone": ("QZ-1000", "QZ-500"),
        },
        options={"颜色": ("黑色", "白色", "灰色", "蓝色"), "连接方式": ("蓝牙5.3", "蓝牙5.3+3.5mm有线")},
        prices=(199, 2499),
        features=(
            ("主动降噪", "主动降噪深度达45dB，地铁和飞机上也能安静听歌。"),
            ("超长续航", "满电续航60小时，充电10分钟可听5小时。"),
            ("双设备连接", "手机和电脑可同时连接，来电自动切换。"),
            ("可折叠", "耳罩可折叠收纳，附赠硬壳收纳包。"),
            ("Hi-Res音质", "40mm大动圈单元，通过Hi-Res金标认证。"),
        ),
        tags=("学生党", "办公"),
    ),
    "真无线耳机": Line(
        category="数码 > 耳机",
        names=("真无线蓝牙耳机", "蓝牙耳机 入耳式", "TWS无线耳机"),
        brands={
            "声澜/Sonora": ("SN-T5 Pro", "SN-T3"),
            "律动/Rhythmo": ("RM-Buds 2", "RM-Buds Air"),
            "小蜂/Beebuds": ("BB-X1", "BB-Mini", "BB-Air3"),
        },
        options={"颜色": ("白色", "黑色", "粉色", "蓝色"), "佩戴方式": ("入耳式", "半入耳式")},
        prices=(49, 899),
        features=(
            ("主动降噪", "开启主动降噪后，嘈杂的环境也能专心听歌。"),
            ("通透模式", "通透模式一键切换，不摘耳机也能听清周围。"),
            ("低延迟", "游戏模式延迟低至60ms，音画同步。"),
            ("IPX5防水", "IPX5防汗防水，跑步健身放心戴。"),
            ("长续航", "耳机续航6小时，配合充电盒共30小时。"),
        ),
        tags=("学生党", "运动"),
    ),
    "手机壳": Line(
        category="数码 > 手机配件",
        names=("手机壳", "手机保护壳", "保护套"),
        brands={
            "极盾/JIDUN": ("JD-101", "JD-202", "JD-303"),
            "锐铠/RUIKAI": ("RK-M1", "RK-M2"),
            "壳喜/Kexi": ("KX-08", "KX-12"),
        },
        options={
            "适用机型": ("iPhone 15", "iPhone 15 Pro", "iPhone 15 Pro Max", "华为 Mate 60 Pro", "小米 14"),
            "颜色": ("透明", "黑色", "粉色", "蓝色", "紫色"),
            "材质": ("TPU", "液态硅胶", "磨砂PC", "真皮"),
        },
        prices=(15, 129),
        features=(
            ("防摔", "四角气囊加厚，1.5米跌落测试不裂。"),
            ("磁吸", "内置磁吸圈，可吸附车载支架和磁吸充电器。"),
            ("不发黄", "采用抗黄变材料，长期使用不发黄。"),
            ("镜头全包", "镜头一体全包，摄像头不怕刮花。"),
            ("超薄", "壳身仅厚1.2mm，手感轻薄。"),
        ),
    ),
    "耳机保护套": Line(
        category="数码 > 手机配件",
        names=("耳机保护套", "耳机保护壳", "耳机套"),
        brands={"极盾/JIDUN": ("JD-E1", "JD-E2"), "壳喜/Kexi": ("KX-P3",), "萌壳": ("MK-21", "MK-22")},
        options={
            "适用机型": ("AirPods Pro 2", "AirPods 3", "AirPods 4", "华为 FreeBuds Pro 3"),
            "颜色": ("白色", "黑色", "粉色", "绿色", "透明"),
            "材质": ("液态硅胶", "TPU", "皮革"),
        },
        prices=(9, 69),
        features=(
            ("带挂钩", "附赠金属挂钩，可挂在包上或钥匙扣上。"),
            ("支持无线充", "戴着保护套也能无线充电，指示灯清晰可见。"),
            ("防摔", "边角加厚，充电盒掉落不磕碰。"),
            ("卡通可爱", "卡通造型设计，送闺蜜也合适。"),
        ),
    ),
    "充电器": Line(
        category="数码 > 手机配件",
        names=("快充充电器", "充电头", "手机充电器 快充"),
        brands={"闪能/FlashVolt": ("FV-A1", "FV-S2", "FV-X3"), "氮客/GaNKE": ("GK-Mini", "GK-Pro")},
        options={
            "功率": ("20W", "33W", "65W", "100W"),
            "接口": ("单USB-C", "USB-C+USB-A", "双USB-C"),
            "颜色": ("白色", "黑色"),
        },
        prices=(25, 129),
        features=(
            ("氮化镓", "采用氮化镓（GaN）芯片，体积比普通充电器小一半。"),
            ("折叠插脚", "插脚可折叠，放进口袋不刮衣服。"),
            ("多协议", "兼容PD、QC等快充协议，手机平板笔记本都能充。"),
            ("安全不烫", "多重过压过流保护，充电不烫手。"),
        ),
        price_by="功率",
    ),
    "电水壶": Line(
        category="家电 > 电水壶",
        names=("电水壶", "电热水壶", "烧水壶 家用"),
        brands={
            "暖居/NUANJU": ("NJ-1517", "NJ-1808"),
            "美厨/Meichu": ("MC-K17", "MC-K15S"),
            "清泉": ("QQ-203", "QQ-305"),
        },
        options={
            "容量": ("1.5L", "1.7L", "1.8L"),
            "材质": ("304不锈钢", "高硼硅玻璃", "食品级PP"),
            "颜色": ("白色", "黑色", "灰色", "红色"),
        },
        prices=(49, 259),
        features=(
            ("保温", "支持恒温保温，泡奶冲茶随时有热水。"),
            ("防干烧", "无水自动断电，防干烧更安全。"),
            ("无缝内胆", "一体无缝内胆，没有卫生死角，好清洗。"),
            ("五段控温", "五档温度可选，泡绿茶、冲奶粉都合适。"),
            ("双层防烫", "双层壳体，烧水时外壁不烫手。"),
        ),
        price_by="容量",
    ),
    "空气炸锅": Line(
        category="家电 > 空气炸锅",
        names=("空气炸锅", "空气炸锅 家用", "无油空气炸锅"),
        brands={
            "轻烹/LightCook": ("LC-AF40", "LC-AF55"),
            "暖居/NUANJU": ("NJ-K5",),
            "厨之悦": ("CY-601", "CY-702V"),
        },
        options={
            "容量": ("3.5L", "4.5L", "5L", "6L", "7L"),
            "颜色": ("白色", "黑色", "灰色", "绿色"),
            "控制方式": ("机械旋钮", "触控屏"),
        },
        prices=(119, 499),
        features=(
            ("可视窗口", "可视玻璃窗，不开锅也能看到食物状态。"),
            ("免翻面", "上下双热源，烤鸡翅不用中途翻面。"),
            ("不粘易洗", "炸篮采用不粘涂层，可放进洗碗机。"),
            ("智能菜单", "内置8种智能菜单，薯条鸡翅一键完成。"),
            ("少油", "热风循环烹饪，比油炸少用约80%的油。"),
        ),
        price_by="容量",
        tags=("家用大容量", "多功能"),
    ),
    "连衣裙": Line(
        category="服饰 > 连衣裙",
        names=("连衣裙", "连衣裙女", "裙子女"),
        brands={
            "棠悦/TANGYUE": ("TY24X031", "TY24X058", "TY24C112"),
            "素漫/SUMAN": ("SM2416", "SM2439"),
            "云裳记": ("YS-805", "YS-812"),
        },
        options={
            "颜色": ("红色", "黑色", "白色", "粉色", "蓝色", "绿色"),
            "尺码": ("S", "M", "L", "XL", "XXL"),
            "材质": ("棉", "雪纺", "真丝", "针织"),
            "图案": ("纯色", "碎花", "条纹"),
            "裙长": ("短款", "中长款", "长款"),
            "季节": ("夏季", "春秋"),
        },
        prices=(89, 699),
        features=(
            ("收腰显瘦", "收腰设计，显瘦又显高。"),
            ("法式", "法式方领，温柔有气质。"),
            ("通勤", "简约版型，上班通勤和约会都能穿。"),
            ("度假风", "飘逸裙摆，海边度假拍照好看。"),
            ("宽松", "宽松版型，微胖身材也好穿。"),
        ),
        model_key="货号",
        tags=("2024{季节}新款", "{季节}新款", "气质"),
    ),
    "男子跑鞋": Line(
        category="服饰 > 运动鞋",
        names=("男子跑步鞋", "运动鞋男", "男士跑鞋"),
        brands={
            "疾风/GALE": ("GL-Speed 3", "GL-Air 2"),
            "跃步/LeapStep": ("LS-901", "LS-Cloud"),
            "飞驰/FLYRUN": ("FR-5", "FR-Pro"),
        },
        options={
            "颜色": ("黑色", "白色", "灰色", "蓝色", "红色"),
            "尺码": ("39码", "40码", "41码", "42码", "43码", "44码"),
            "鞋面材质": ("网面", "飞织"),
            "款式": ("男款",),
        },
        prices=(159, 899),
        features=(
            ("缓震", "中底缓震回弹，长距离跑步脚不累。"),
            ("轻便", "单只约230g，轻便透气。"),
            ("防滑耐磨", "橡胶大底防滑耐磨，雨天也抓地。"),
            ("碳板", "内置全掌碳板，推进有力，适合竞速。"),
            ("透气", "网孔鞋面透气，夏天跑步不闷脚。"),
        ),
        model_key="货号",
        tags=("2024新款", "官方正品"),
    ),
    "女子运动鞋": Line(
        category="服饰 > 运动鞋",
        names=("女子运动鞋", "运动鞋女", "女款跑步鞋", "小白鞋 运动"),
        brands={
            "疾风/GALE": ("GL-Air 2W", "GL-Lady"),
            "跃步/LeapStep": ("LS-902", "LS-Cloud W"),
            "飞驰/FLYRUN": ("FR-5W",),
        },
        options={
            "颜色": ("白色", "粉色", "黑色", "紫色", "灰色"),
            "尺码": ("35码", "36码", "37码", "38码", "39码", "40码"),
            "鞋面材质": ("网面", "飞织", "超纤皮"),
            "款式": ("女款",),
        },
        prices=(129, 799),
        features=(
            ("缓震", "软弹中底，逛街走一天也不累。"),
            ("增高", "厚底设计，内增高4cm，显腿长。"),
            ("轻便", "单只约200g，轻盈不压脚。"),
            ("碳板", "内置碳板，跑步推进更省力。"),
            ("百搭", "配色简约，配裙子和牛仔裤都好看。"),
        ),
        model_key="货号",
        tags=("2024新款", "ins风"),
    ),
    "儿童保温杯": Line(
        category="母婴 > 保温杯",
        names=("儿童保温杯", "儿童水杯 保温", "宝宝保温杯"),
        brands={
            "萌贝/MENGBEI": ("MB-520", "MB-360"),
            "乐童/LETONG": ("LT-K50", "LT-K35"),
            "象宝宝": ("XB-01", "XB-02"),
        },
        options={
            "容量": ("350ml", "400ml", "500ml", "600ml"),
            "颜色": ("粉色", "蓝色", "绿色", "黄色", "紫色"),
            "材质": ("316不锈钢", "304不锈钢"),
            "杯盖": ("吸管款", "直饮款", "双盖款"),
        },
        prices=(49, 199),
        features=(
            ("防漏", "密封硅胶圈，倒置摇晃都不漏水。"),
            ("带背带", "附赠可调节背带，上学出游方便背。"),
            ("保温12小时", "双层真空，保温12小时以上。"),
            ("卡通图案", "卡通印花图案，孩子喜欢多喝水。"),
            ("一键弹盖", "按键弹盖，小朋友单手就能打开。"),
        ),
        price_by="容量",
        tags=("上学专用", "幼儿园"),
    ),
    "保温杯": Line(
        category="家居 > 水杯",
        names=("保温杯", "真空保温杯", "保温水杯"),
        brands={
            "恒温家/HENGWEN": ("HW-480", "HW-1000"),
            "山行/ShanXing": ("SX-T1", "SX-T2"),
            "暖居/NUANJU": ("NJ-B50",),
        },
        options={
            "容量": ("350ml", "500ml", "750ml", "1L"),
            "颜色": ("黑色", "白色", "灰色", "蓝色", "红色"),
            "材质": ("316不锈钢", "304不锈钢", "钛"),
        },
        prices=(39, 299),
        features=(
            ("茶水分离", "带滤茶网，茶水分离，泡茶不苦涩。"),
            ("长效保温", "真空双层，保温24小时，保冷12小时。"),
            ("便携", "杯身轻巧，可放进车载杯架。"),
            ("温度显示", "杯盖带温度显示，触摸即可看水温。"),
            ("商务礼盒", "商务礼盒包装，适合送长辈或同事。"),
        ),
        price_by="容量",
    ),
    "面霜": Line(
        category="美妆 > 面霜",
        names=("面霜", "保湿霜", "乳霜"),
        brands={
            "水漾/AQUAYANG": ("水光", "清润"),
            "颜研/YANYAN LAB": ("臻颜", "初润"),
            "植初": ("积雪草", "山茶花"),
        },
        options={
            "规格": ("30g", "50g", "80g"),
            "功效": ("保湿", "抗皱紧致", "修护", "美白提亮"),
            "适用肤质": ("干性肌", "混合肌", "敏感肌", "油性肌"),
        },
        prices=(59, 459),
        features=(
            ("敏感肌可用", "无酒精无香精，敏感肌也能用。"),
            ("清爽不油腻", "质地清爽，上脸很快吸收，不油腻。"),
            ("礼盒装", "精美礼盒包装，送女朋友、送妈妈都合适。"),
            ("熬夜修护", "添加神经酰胺，熬夜后肌肤也稳定。"),
            ("补水", "补水锁水，改善干燥起皮。"),
        ),
        model_key="系列",
        price_by="规格",
    ),
    "口红": Line(
        category="美妆 > 彩妆",
        names=("口红", "唇膏", "口红女"),
        brands={"绯色/FEISE": ("小金管", "丝绒管"), "颜研/YANYAN LAB": ("方管",), "唇语": ("柔雾", "水光")},
        options={"颜色": ("正红色", "豆沙色", "枫叶红", "奶茶色", "番茄红"), "质地": ("哑光", "丝绒", "滋润")},
        prices=(39, 329),
        features=(
            ("礼盒装", "情人节限定礼盒，附手提袋和贺卡，送女朋友有面子。"),
            ("不沾杯", "成膜后不沾杯，喝水吃饭不易掉色。"),
            ("显白", "显白色调，黄皮也能驾驭。"),
            ("滋润", "添加植物油脂，滋润不拔干。"),
        ),
        model_key="系列",
        tags=("大牌平替", "情人节礼物"),
    ),
    "茶叶": Line(
        category="食品 > 茶叶",
        names=("茶叶", "茶", "2024新茶"),
        brands={
            "茗山/MINGSHAN": ("西湖龙井", "碧螺春", "铁观音"),
            "云岭茶庄": ("普洱熟茶", "普洱生茶", "滇红"),
            "老茶铺": ("正山小种", "铁观音", "茉莉花茶"),
        },
        options={"净含量": ("100g", "250g", "500g"), "包装": ("罐装", "礼盒装", "袋装"), "等级": ("特级", "一级")},
        prices=(39, 299),
        features=(
            ("新茶", "今年新茶，密封保存，开罐香气足。"),
            ("口粮茶", "日常口粮茶，耐泡回甘，办公室冲泡方便。"),
            ("送礼", "包装大气，逢年过节送长辈很体面。"),
            ("传统工艺", "传统工艺制作，茶汤醇厚。"),
        ),
        model_key="品种",
        price_by="净含量",
        tags=("正宗", "原产地直发"),
    ),
    "瑜伽垫": Line(
        category="运动户外 > 瑜伽垫",
        names=("瑜伽垫", "健身垫", "瑜伽垫 家用"),
        brands={
            "静修/ZENFLOW": ("ZF-Classic", "ZF-Pro", "ZF-Lite"),
            "悦动/YUEDONG": ("YD-8", "YD-Mat"),
            "疾风/GALE": ("GL-Mat",),
        },
        options={
            "厚度": ("6mm", "8mm", "10mm", "15mm"),
            "材质": ("TPE", "NBR", "天然橡胶", "PU"),
            "颜色": ("紫色", "粉色", "蓝色", "黑色", "绿色", "灰色"),
        },
        prices=(39, 399),
        features=(
            ("防滑", "双面防滑纹理，出汗也不打滑。"),
            ("体位线", "印有体位线，初学者也能摆正姿势。"),
            ("附绑带", "附赠绑带和收纳袋，出门上课方便带。"),
            ("无异味", "环保材质，拆开没有刺鼻气味。"),
        ),
        tags=("加厚加宽", "初学者"),
    ),
    "四件套": Line(
        category="家居 > 床上用品",
        names=("床上四件套", "四件套", "被套床单四件套"),
        brands={
            "棉语/MIANYU": ("MY-2401", "MY-2415"),
            "梦居/MENGJU": ("MJ-088", "MJ-126"),
            "枕眠/ZHENMIAN": ("ZM-31",),
        },
        options={
            "规格": ("1.5m床", "1.8m床", "2.0m床"),
            "材质": ("纯棉", "长绒棉", "天丝", "水洗棉", "珊瑚绒"),
            "颜色": ("白色", "灰色", "蓝色", "粉色", "绿色"),
            "图案": ("纯色", "格子", "碎花"),
        },
        prices=(129, 899),
        features=(
            ("亲肤透气", "亲肤透气，贴身睡也舒服。"),
            ("不起球", "高支高密织法，洗后不起球不褪色。"),
            ("A类标准", "符合A类婴幼儿标准，孩子也能放心用。"),
            ("活性印染", "活性印染工艺，色牢度高。"),
        ),
        model_key="货号",
        price_by="规格",
    ),
    "午睡枕": Line(
        category="家居 > 午休用品",
        names=("午睡枕", "趴睡枕", "午休枕 办公室"),
        brands={"憩时/QISHI": ("QS-01", "QS-02"), "午安": ("WA-100",), "枕眠/ZHENMIAN": ("ZM-N5", "ZM-N6")},
        options={"颜色": ("灰色", "蓝色", "粉色", "米白色"), "材质": ("记忆棉", "乳胶", "慢回弹海绵")},
        prices=(29, 129),
        features=(
            ("不压手", "贴合手臂弧度，趴睡不压手不麻。"),
            ("可拆洗", "外套可拆卸，直接机洗。"),
            ("透气孔", "正面留有透气孔，趴着呼吸顺畅。"),
            ("可收纳", "可压缩收纳，放进抽屉不占地方。"),
        ),
        tags=("学生", "上班族"),
    ),
    "折叠午睡床": Line(
        category="家居 > 午休用品",
        names=("折叠床", "午睡床 单人", "办公室折叠床"),
        brands={"憩时/QISHI": ("QS-B60", "QS-B75"), "午安": ("WA-Bed",), "轻居": ("QJ-1", "QJ-2")},
        options={
            "宽度": ("60cm", "70cm", "80cm"),
            "颜色": ("灰色", "蓝色", "黑色", "绿色"),
            "材质": ("钢管+牛津布", "铝合金+牛津布"),
        },
        prices=(99, 399),
        features=(
            ("免安装", "打开即用，免安装，三秒展开。"),
            ("承重200kg", "加粗管架，承重200kg。"),
            ("靠背可调", "靠背五档可调，可坐可躺。"),
            ("便携", "收起后能放进后备箱，露营也能用。"),
        ),
        price_by="宽度",
        tags=("午休神器", "陪护"),
    ),
}

PER_TYPE = 20
COMMON_TAGS = ("新款", "官方正品", "官方旗舰", "热卖", "包邮", "", "")
TITLE_ORDERS = (  # the word orders titles take; blank parts and an empty 【】 are dropped
    "{brand} {model} {point}{name} {specs}",
    "{tag} {brand}{name} {model} {specs}",
    "{point}{name} {brand} {model} {specs} {tag}",
    "【{tag}】{brand} {model}{name} {specs} {point}",
    "{name} {specs} {brand} {model} {point}",
    "{brand} {tag}{name} {point} {specs}",
)


class Query(NamedTuple):
    """A judged query: its text and the rule that grades products for it."""

    text: str
    types: tuple[str, ...]  # what was asked for
    required: dict[str, str | tuple[str, ...] | float]  # attribute -> value (or any of values); see _has
    related: tuple[str, ...] = ()  # other types that get grade 1


QUERIES = [
    Query("电水壶", ("电水壶",), {}),
    Query("电热水壶 1.7L", ("电水壶",), {"容量": "1.7L"}),
    Query("304不锈钢烧水壶", ("电水壶",), {"材质": "304不锈钢"}),
    Query("玻璃电水壶", ("电水壶",), {"材质": "高硼硅玻璃"}),
    Query("电热水胡", ("电水壶",), {}),  # 胡 for 壶: same sound, a slip of the pinyin keyboard
    Query("空气炸锅", ("空气炸锅",), {}),
    Query("空气炸锅 5L 可视", ("空气炸锅",), {"容量": "5L", "feature": "可视"}),
    Query("大容量空气炸锅 家用", ("空气炸锅",), {"容量": ("6L", "7L")}),
    Query("空气炸锅 300元以内", ("空气炸锅",), {"max_price": 300}),
    Query("空汽炸锅", ("空气炸锅",), {}),  # 汽 for 气, same sound
    Query("声澜SN-900X5 降噪耳机", ("头戴式耳机",), {"型号": "SN-900X5"}),
    Query("ＳＮ－９００Ｘ５", ("头戴式耳机",), {"型号": "SN-900X5"}),  # full-width letters and digits
    Query("sonora 头戴式耳机", ("头戴式耳机",), {"brand": "声澜"}),
    Query("降噪耳机", ("头戴式耳机", "真无线耳机"), {"feature": "降噪"}),
    Query("蓝牙耳机", ("真无线耳机",), {}),
    Query("藍牙耳機", ("真无线耳机",), {}),  # Traditional characters
    Query("蓝芽耳机", ("真无线耳机",), {}),  # 蓝芽, the Taiwanese word for Bluetooth
    Query("100元以下 蓝牙耳机", ("真无线耳机",), {"max_price": 100}),
    Query("白色无线耳机", ("真无线耳机",), {"颜色": "白色"}),
    Query("律动 RM-Buds 2", ("真无线耳机",), {"型号": "RM-Buds 2"}),
    Query("airpods 保护套", ("耳机保护套",), {"适用机型": ("AirPods Pro 2", "AirPods 3", "AirPods 4")}),
    Query("airpods pro2 保护壳 硅胶", ("耳机保护套",), {"适用机型": "AirPods Pro 2", "材质": "液态硅胶"}),
    Query("iphone15 手机壳", ("手机壳",), {"适用机型": "iPhone 15"}),
    Query("华为mate60pro 手机壳 防摔", ("手机壳",), {"适用机型": "华为 Mate 60 Pro", "feature": "防摔"}),
    Query("透明手机壳 不发黄", ("手机壳",), {"颜色": "透明", "feature": "不发黄"}),
    Query("65W 氮化镓充电器", ("充电器",), {"功率": "65W", "feature": "氮化镓"}),
    Query("６５Ｗ 充电头", ("充电器",), {"功率": "65W"}),  # full-width
    Query("红色连衣裙 夏季", ("连衣裙",), {"颜色": "红色", "季节": "夏季"}),
    Query("碎花连衣裙", ("连衣裙",), {"图案": "碎花"}),
    Query("真丝连衣裙", ("连衣裙",), {"材质": "真丝"}),
    Query("黑色连衣裙 XL", ("连衣裙",), {"颜色": "黑色", "尺码": "XL"}),
    Query("連衣裙 長款", ("连衣裙",), {"裙长": "长款"}),  # Traditional characters
    Query("男士跑步鞋 42码", ("男子跑鞋",), {"尺码": "42码"}),
    Query("女款运动鞋 白色", ("女子运动鞋",), {"颜色": "白色"}),
    Query("碳板跑鞋", ("男子跑鞋", "女子运动鞋"), {"feature": "碳板"}),
    Query("儿童保温杯 500ml", ("儿童保温杯",), {"容量": "500ml"}),
    Query("宝宝吸管杯", ("儿童保温杯",), {"杯盖": ("吸管款", "双盖款")}),
    Query("保温杯", ("保温杯", "儿童保温杯"), {}),
    Query("保溫杯 1L", ("保温杯",), {"容量": "1L"}, related=("儿童保温杯",)),  # Traditional 溫
    Query("泡茶保温杯 茶水分离", ("保温杯",), {"feature": "茶水分离"}),
    Query("面霜", ("面霜",), {}),
    Query("保湿面霜 敏感肌", ("面霜",), {"功效": "保湿", "适用肤质": "敏感肌"}),
    Query("抗皱面霜 50g", ("面霜",), {"功效": "抗皱紧致", "规格": "50g"}),
    Query("豆沙色口红", ("口红",), {"颜色": "豆沙色"}),
    Query("适合送女朋友的礼物", ("口红", "面霜"), {"feature": "礼盒"}, related=("连衣裙", "耳机保护套")),
    Query("西湖龙井", ("茶叶",), {"品种": "西湖龙井"}),
    Query("普洱茶", ("茶叶",), {"品种": ("普洱熟茶", "普洱生茶")}),
    Query("铁观音 礼盒装", ("茶叶",), {"品种": "铁观音", "包装": "礼盒装"}),
    Query("红茶", ("茶叶",), {"品种": ("滇红", "正山小种")}),
    Query("送长辈的茶叶礼盒", ("茶叶",), {"包装": "礼盒装"}, related=("保温杯",)),
    Query("瑜伽垫", ("瑜伽垫",), {}),
    Query("瑜伽垫 加厚 10mm", ("瑜伽垫",), {"厚度": "10mm"}),
    Query("tpe瑜伽垫 防滑", ("瑜伽垫",), {"材质": "TPE", "feature": "防滑"}),
    Query("瑜珈垫", ("瑜伽垫",), {}),  # 珈 for 伽, a common slip
    Query("纯棉四件套", ("四件套",), {"材质": ("纯棉", "长绒棉")}),
    Query("1.8米床 四件套", ("四件套",), {"规格": "1.8m床"}),
    Query("办公室午睡", ("午睡枕", "折叠午睡床"), {}),
    Query("午睡床 折叠 单人", ("折叠午睡床",), {}),
    Query("趴睡枕 记忆棉", ("午睡枕",), {"材质": "记忆棉"}),
]


def _price(base: float, line: Line, attributes: dict[str, str]) -> float:
    """A shop price near base, dearer for a larger choice of line.price_by: 59.9 below 100, 299 above."""
    if line.price_by:
        choices = line.options[line.price_by]
        base *= 1 + choices.index(attributes[line.price_by]) / len(choices)
    return round(base) - 0.1 if base < 100 else round(base / 10) * 10 - 1.0


def _as_written(value: str, rng: random.Random) -> str:
    """Shops write one volume several ways: 500ml, 500ML, 500毫升; 1.7L, 1.7升."""
    number = value.rstrip("mlL")
    if not number.replace(".", "").isdigit():
        return value
    if value.endswith("ml"):
        return rng.choice((value, f"{number}ML", f"{number}毫升"))
    return rng.choice((value, f"{number}升")) if value.endswith("L") else value


def _title(
    rng: random.Random, line: Line, brand: tuple[str, str], model: str, attributes: dict[str, str], point: str
) -> str:
    chinese, english = brand
    spellings = [chinese] + ([english, f"{english}/{chinese}", f"{chinese}{english.upper()}"] if english else [])
    shown = [value for key, value in attributes.items() if key not in (line.model_key, "品类")]
    specs = rng.sample(shown, k=min(len(shown), rng.randint(1, 3)))
    title = rng.choice(TITLE_ORDERS).format(
        brand=rng.choice(spellings),
        model=model,
        name=rng.choice(line.names),
        point=point,
        specs=" ".join(_as_written(value, rng) for value in specs),
        tag=rng.choice(line.tags + COMMON_TAGS).format(**attributes),
    )
    return " ".join(title.replace("【】", "").split())


def make_products(rng: random.Random) -> list[dict]:
    products, seen, base_prices = [], set(), {}
    for type_name, line in LINES.items():
        for _ in range(PER_TYPE):
            while True:  # no two products share brand, model and every attribute
                brand_text = rng.choice(list(line.brands))
                model = rng.choice(line.brands[brand_text])
                attributes = {key: rng.choice(choices) for key, choices in line.options.items()}
                key = (brand_text, model, tuple(attributes.values()))
                if key not in seen:
                    seen.add(key)
                    break
            chinese, _, english = brand_text.partition("/")
            attributes |= {line.model_key: model, "品类": type_name}
            # one base price per model, so colours of a model cost the same
            low, high = line.prices
            base = base_prices.setdefault((brand_text, model), math.exp(rng.uniform(math.log(low), math.log(high))))
            chosen = rng.sample(line.features, k=rng.randint(1, 2))
            shown = [value for name, value in attributes.items() if name not in (line.model_key, "品类")]
            lead = f"{chinese}（{english}）" if english else chinese
            lead += f"{model} {type_name}，{'、'.join(rng.sample(shown, k=min(3, len(shown))))}。"
            number = len(products) + 1001
            products.append(
                {
                    "id": f"ZH-{number}",
                    "title": _title(rng, line, (chinese, english), model, attributes, chosen[0][0]),
                    "description": lead + "".join(sentence for _, sentence in chosen),
                    "category": line.category,
                    "brand": chinese,
                    "price": _price(base, line, attributes),
                    "currency": "CNY",
                    "attributes": attributes,
                    "url": None if rng.random() < 0.15 else f"/item/{number}.html",
                }
            )
    return products


def _has(product: dict, key: str, wanted: str | tuple[str, ...] | float) -> bool:
    """Whether product meets one asked condition: a phrase in its text, its brand, a price cap, an attribute."""
    if key == "feature":
        return wanted in product["title"] + product["description"]
    if key == "brand":
        return product["brand"] == wanted
    if key == "max_price":
        return product["price"] <= wanted
    allowed = (wanted,) if isinstance(wanted, str) else wanted
    return product["attributes"].get(key) in allowed


def grade(product: dict, query: Query) -> int:
    kind = product["attributes"]["品类"]
    if kind in query.types:
        return 3 if all(_has(product, key, value) for key, value in query.required.items()) else 2
    related = {LINES[name].category for name in query.types}
    return 1 if product["category"] in related or kind in query.related else 0


def main() -> None:
    rng = random.Random(13)  # the first seed from 1 under which every query has a product graded 3
    products = make_products(rng)
    with open(HERE / "products.jsonl", "w", encoding="utf-8") as handle:
        for product in products:
            handle.write(json.dumps(product, ensure_ascii=False) + "\n")
    queries, qrels = [], []
    for number, query in enumerate(QUERIES, start=1):
        qid = f"zq{number:02d}"
        queries.append(f"{qid}\t{query.text}\n")
        grades = {product["id"]: grade(product, query) for product in products}
        if 3 not in grades.values():
            raise SystemExit(f"{qid} {query.text!r}: no product meets {query.required}; change the query or the seed")
        judged = [product_id for product_id, value in grades.items() if value > 0]
        others = [product_id for product_id, value in grades.items() if value == 0]
        for product_id in judged + rng.sample(others, k=10):
            qrels.append(f"{qid} 0 {product_id} {grades[product_id]}\n")
    (HERE / "queries.tsv").write_text("".join(queries), encoding="utf-8")
    (HERE / "qrels.tsv").write_text("".join(qrels), encoding="utf-8")
    print(f"{len(products)} products, {len(queries)} queries, {len(qrels)} judgments")


if __name__ == "__main__":
    main()
