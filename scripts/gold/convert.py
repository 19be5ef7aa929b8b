#!/usr/bin/env python3
"""Convert the labelled corpora in ../shared/corpora into vocmine gold JSONL.

    python3 scripts/gold/convert.py [--out DIR] [--shared DIR] [--only NAME ...]

Writes one JSONL file per corpus split into --out (default: target/gold, which
git ignores; corpus data must never be committed) and prints per-file counts.
A machine-readable summary (codes and points per file) goes to
<out>/SUMMARY.json. See scripts/gold/README.md for every file and mapping.
Stdlib only.
"""

import argparse
import csv
import json
import os
import re
import sys

sys.dont_write_bytecode = True  # keep scripts/gold free of __pycache__

from goldlib import (codes_from_pairs, file_stem,  # noqa: E402
                     iter_semeval_sentences, record, semeval_category_code,
                     semeval_opinions, write_jsonl)

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_SHARED = os.path.join(REPO, "..", "shared", "corpora")
DEFAULT_OUT = os.path.join(REPO, "target", "gold")


# --- SemEval ABSA (2014 / 2015 / 2016) and MAMS -------------------------------

# SemEval-2015 restaurants train has one FOOD#GENERAL opinion (not a category
# of the 12-category scheme); SemEval-2016, which reuses the sentence, corrected
# it to FOOD#STYLE_OPTIONS ("Small servings for main entree").
SEMEVAL15_CATEGORY_FIXES = {"FOOD#GENERAL": "FOOD#STYLE_OPTIONS"}


def semeval_file(path, language, tag="Opinion", prefix="", fixes=None, ids=None):
    """Records of one SemEval-style XML file. id = <file-stem>-<sentence id>,
    or <ids>-<index> when the file has no sentence ids (MAMS)."""
    fixes = fixes or {}
    out = []
    for i, (sentence, text) in enumerate(iter_semeval_sentences(path)):
        pairs = [(semeval_category_code(fixes.get(cat, cat), prefix), pol)
                 for cat, pol in semeval_opinions(sentence, tag)]
        rid = f"{ids}-{i}" if ids else f"{file_stem(path)}-{sentence.get('id')}"
        out.append(record(rid, text, language, codes_from_pairs(pairs)))
    return out


def semeval16_en(shared):
    d = os.path.join(shared, "SemEval2016_Task5_EN_restaurants_resplit")
    return {f"restaurant-en-{s}.jsonl": semeval_file(os.path.join(d, f"{s}.xml"), "en")
            for s in ("train", "dev")}


def semeval16_ru(shared):
    d = os.path.join(shared, "SemEval2016_Task5_RU_restaurants")
    return {f"restaurant-ru-{s}.jsonl": semeval_file(os.path.join(d, f"{s}.xml"), "ru")
            for s in ("train", "dev")}


def semeval15_en(shared):
    d = os.path.join(shared, "SemEval2015_Task12")
    files = {"train": "ABSA-15_Restaurants_Train_Final.xml",
             "test": "ABSA15_Restaurants_Test.xml"}
    return {f"restaurant-en-semeval15-{s}.jsonl":
            semeval_file(os.path.join(d, f), "en", fixes=SEMEVAL15_CATEGORY_FIXES)
            for s, f in files.items()}


def semeval14_en(shared):
    # 2014 has only 5 coarse categories (food, service, price, ambience,
    # anecdotes/miscellaneous), not comparable with the 2016 E#A scheme:
    # written as coarse.<category> ('/' -> '_').
    d = os.path.join(shared, "SemEval2014_Task4")
    files = {"train": "Restaurants_Train_v2.xml", "test": "Restaurants_Test_Gold.xml"}
    return {f"restaurant-en-semeval14-{s}.jsonl":
            semeval_file(os.path.join(d, f), "en", tag="aspectCategory", prefix="coarse.")
            for s, f in files.items()}


def mams_en(shared):
    # MAMS-ACSA: 8 categories (food, service, staff, price, ambience, menu,
    # place, miscellaneous) -> mams.<category>. Sentences have no ids.
    d = os.path.join(shared, "MAMS", "MAMS-ACSA")
    return {f"restaurant-en-mams-{s}.jsonl":
            semeval_file(os.path.join(d, f"{s}.xml"), "en", tag="aspectCategory",
                         prefix="mams.", ids=f"mams-{s}")
            for s in ("train", "val", "test")}


# --- ASAP (Chinese Dianping restaurant reviews, whole reviews) ----------------

# ASAP aspect column -> SemEval-2016 restaurant code.
ASAP_CODES = {
    "location_traffic": "location.general",
    "location_distance_from_business_district": "location.general",
    "location_easy_to_find": "location.general",
    "service_wait_time": "service.general",        # queueing / waiting for a table
    "service_waiters_attitude": "service.general",
    "service_parking_convenience": "service.general",
    "service_serving_speed": "service.general",
    "price_level": "restaurant.prices",
    "price_cost_effective": "restaurant.prices",
    "price_discount": "restaurant.prices",
    "environment_decoration": "ambience.general",
    "environment_noise": "ambience.general",
    "environment_space": "ambience.general",
    "environment_cleaness": "ambience.general",
    "dish_portion": "food.style_options",         # SemEval: portions/size = STYLE_OPTIONS
    "dish_taste": "food.quality",
    # SemEval-2016 annotates presentation/looks as FOOD#STYLE_OPTIONS
    # ("The exotic food is beautifully presented" -> FOOD#STYLE_OPTIONS).
    "dish_look": "food.style_options",
    "dish_recommendation": "food.quality",        # recommended dishes
}
ASAP_POLARITY = {"1": "positive", "0": "neutral", "-1": "negative"}  # -2 = not mentioned


def asap_rows(shared, split):
    with open(os.path.join(shared, "ASAP_samples", f"{split}_sample.csv"),
              encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def asap_zh(shared):
    out = {}
    for split in ("train", "dev", "test"):
        recs = []
        for row in asap_rows(shared, split):
            mentioned = {col: int(row[col]) for col in ASAP_CODES
                         if row[col].strip() in ASAP_POLARITY}
            pairs = [(ASAP_CODES[col], ASAP_POLARITY[str(v)]) for col, v in mentioned.items()]
            recs.append(record(f"asap-{split}-{row['index']}", row["reviewbody"].strip(), "zh",
                               codes_from_pairs(pairs),
                               stars=float(row["star"]), asap=mentioned))
        out[f"restaurant-zh-asap-{split}.jsonl"] = recs
    return out


def asap_aspects_zh(shared):
    # The 18 native ASAP aspects: column `dish_taste` -> code `dish.taste`
    # (corpora/codebooks/zeroshot/asap.yaml).
    out = {}
    for split in ("train", "dev", "test"):
        recs = []
        for row in asap_rows(shared, split):
            pairs = [(col.replace("_", ".", 1), ASAP_POLARITY[row[col].strip()])
                     for col in ASAP_CODES if row[col].strip() in ASAP_POLARITY]
            recs.append(record(f"asap-{split}-{row['index']}", row["reviewbody"].strip(), "zh",
                               codes_from_pairs(pairs), stars=float(row["star"])))
        out[f"asap-zh-aspects-{split}.jsonl"] = recs
    return out


# --- SemEval-2019 Task 9 subtask A: suggestion mining -------------------------

MOJIBAKE = re.compile("[\u00c2\u00c3\u00e2][\u0080-\u00bf]")


def clean_suggestion_text(text):
    """Undo the CSV's extra quote wrapping ("..." inside the field) and the
    UTF-8-read-as-Latin-1 mojibake (â\\x80\\x99 -> ’) found in some rows."""
    text = text.strip()
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        text = text[1:-1].strip()
    if MOJIBAKE.search(text):
        try:
            text = text.encode("latin-1").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            pass
    return text


def suggestion_rows(path, prefix):
    """Records of one suggestion CSV (id, sentence, label). The training file
    repeats 654 ids (same sentence once quote-wrapped/mojibake, once clean):
    one record per id, the first cleaned text wins."""
    recs, seen = [], set()
    with open(path, encoding="utf-8", errors="replace", newline="") as fh:
        for sid, sentence, label in csv.reader(fh):
            if sid == "id" and label == "label":   # header (trial file only)
                continue
            if sid in seen:
                continue
            seen.add(sid)
            recs.append(record(f"{prefix}-{sid}", clean_suggestion_text(sentence), "en", [],
                               suggestion=label.strip() == "1"))
    return recs


def suggestions_en(shared):
    d = os.path.join(shared, "SemEval2019_Task9_suggestion_mining")
    a = os.path.join(d, "subtaskA_windows_forum")
    return {
        "suggestions-en-train.jsonl": suggestion_rows(os.path.join(d, "V1.4_Training.csv"), "sugg-train"),
        "suggestions-en-dev.jsonl": suggestion_rows(
            os.path.join(a, "SubtaskA_Trial_Test_Labeled.csv"), "sugg-trial"),
        "suggestions-en-test.jsonl": suggestion_rows(
            os.path.join(a, "SubtaskA_EvaluationData_labeled.csv"), "sugg-eval"),
    }


# --- Chinese ABSA (PyABSA APC): aspect terms only, no categories --------------

def pyabsa_file(path, prefix):
    """3 lines per instance: characters space-separated with $T$ for the
    aspect, the aspect term, Positive/Negative. Instances of the same sentence
    (one per aspect) are merged into one record with all its aspects."""
    with open(path, encoding="utf-8") as fh:
        lines = [l.rstrip("\r\n") for l in fh]
    while lines and not lines[-1].strip():
        lines.pop()
    if len(lines) % 3:
        raise ValueError(f"{path}: {len(lines)} lines, not a multiple of 3")
    by_text = {}
    for i in range(0, len(lines), 3):
        term = lines[i + 1].replace(" ", "")
        text = lines[i].replace("$T$", term).replace(" ", "")   # no Latin words in these files
        aspect = {"term": term, "polarity": lines[i + 2].strip().lower()}
        aspects = by_text.setdefault(text, [])
        if aspect not in aspects:
            aspects.append(aspect)
    return [record(f"{prefix}-{n}", text, "zh", [], aspects=aspects)
            for n, (text, aspects) in enumerate(by_text.items())]


def pyabsa_zh(shared):
    d = os.path.join(shared, "Chinese_ABSA_apc_pyabsa")
    out = {}
    for domain in sorted(os.listdir(d)):
        for split in ("train", "test"):
            path = os.path.join(d, domain, f"{domain}.{split}.txt")
            if os.path.isfile(path):
                out[f"terms-zh-{domain}-{split}.jsonl"] = pyabsa_file(path, f"{domain}-{split}")
    return out


def pyabsa_products_zh(shared):
    # The same sentences, coded by product domain: `product.camera`, `.car`,
    # `.notebook`, `.phone` (corpora/codebooks/zeroshot/zh_products.yaml);
    # point from the sentence's aspect polarities. A sentence found in two
    # domains gets both codes.
    d = os.path.join(shared, "Chinese_ABSA_apc_pyabsa")
    out = {}
    for split in ("train", "test"):
        by_text = {}
        for domain in sorted(os.listdir(d)):
            path = os.path.join(d, domain, f"{domain}.{split}.txt")
            if not os.path.isfile(path):
                continue
            for r in pyabsa_file(path, f"{domain}-{split}"):
                pairs = by_text.setdefault(r["text"], [])
                pairs.extend((f"product.{domain}", a["polarity"]) for a in r["aspects"])
        out[f"products-zh-{split}.jsonl"] = [
            record(f"products-{split}-{n}", text, "zh", codes_from_pairs(pairs))
            for n, (text, pairs) in enumerate(by_text.items())]
    return out


# Aspect terms of the car sentences, mapped by the project to the ten topics
# of a car-forum codebook (corpora/codebooks/zeroshot/zh_car.yaml): each
# topic lists substrings of terms, tried in this order, first match wins;
# EXACT overrides it for terms a substring would misplace. A sentence with a
# term no topic takes (做工, 质量, 性能, ...: build quality and overall
# performance are not among the ten) is left out, so that every kept
# sentence's gold is complete.
CAR_TOPICS = [
    ("fuel", "油耗 耗油 燃油 省油 经济性 排放 使用成本"),
    ("price", "价格 售价 性价比 定价 维修费用 保养费 维护成本 成本 保养 维修 维护 售后"),
    ("safety", "安全 气囊 刹车 制动 碰撞 防损 钢板 铁皮 车体刚性 强度 稳定性 防锈 抗氧化"),
    ("space", "空间 后备箱 行李 储物 容积 后排 后座 第三排 腿部 头部 膝部 宽敞 轴距 "
              "车厢 块头 整机尺寸 较大"),
    ("comfort", "舒适 噪音 噪声 隔音 降噪 静音 风噪 路噪 机噪 声噪 震动 减震 避震 碎震 座椅 "
                "坐椅 座垫 坐垫 座位 头枕 包裹性 密封 气味 空气 顿挫 平顺 前座 驾驶座 乘坐 "
                "声音 关门 悬吊 平稳性"),
    ("power", "动力 发动机 引擎 马力 功率 扭矩 扭距 扭力 加速 提速 起步 推背 变速 换档 挂档 "
              "入档 挡位 档位 排量 涡轮 增压 柴油机 油门 转速 传动 速度 力道 力量 进气 启动 "
              "贴背 输出 档把 高速表现 减速"),
    ("handling", "操控 操空 操作 转向 方向 过弯 侧倾 底盘 地盘 悬挂 悬架 后悬 抓地 循迹 路感 "
                 "回中 指向 驾驶感受 驾驶位置 轮胎 附着力 重心 重量 驱动 通过性 越野 过水 "
                 "灵敏 运动感 转弯 牵引 车身侧向支撑 操纵 前轮"),
    ("equipment", "配置 配制 天窗 音响 音质 空调 出风口 电子 仪表 屏幕 按钮 按键 车窗 门窗 门锁 "
                  "雨刮 倒车镜 后视镜 大灯 前灯 顶灯 接口 功能 电器 辅助系统 控制系统 集控 "
                  "手感"),
    ("interior", "内饰 内部 内装 车内 内质 真皮 人造皮 皮质 顶棚 吧台 前面板 中控 绒布 内衬 "
                 "驾驶舱 色调 材料"),
    ("exterior", "外观 外形 外型 外表 造型 线条 前脸 车头 车尾 尾部 尾灯 侧面 侧部 腰线 漆 "
                 "颜色 车身 样子 模样 轮毂 车圈 流线 曲线 轮廓 设计 风格 视觉 观感 气度 车型 "
                 "比例 高度 引擎盖 进气口 绕流板 饰条 车门 车顶"),
]
CAR_EXACT = {"后排舒适性": "comfort", "前座水杯架": "equipment", "引擎盖双肌曲线": "exterior",
             "进气口": "exterior", "车厢内部做工": "interior", "空气阻力": "fuel",
             "车内的空气": "comfort", "外形内饰": "exterior"}


def car_topic(term):
    if term in CAR_EXACT:
        return CAR_EXACT[term]
    for topic, keys in CAR_TOPICS:
        if any(k in term for k in keys.split()):
            return topic
    return None


def pyabsa_car_topics_zh(shared):
    # The car sentences coded by topic (`car.power`, `car.price`, ...); point
    # from the polarities of the topic's terms.
    d = os.path.join(shared, "Chinese_ABSA_apc_pyabsa", "car")
    out = {}
    for split in ("train", "test"):
        recs = []
        for r in pyabsa_file(os.path.join(d, f"car.{split}.txt"), f"car-{split}"):
            topics = [car_topic(a["term"]) for a in r["aspects"]]
            if None in topics:
                continue
            pairs = [(f"car.{t}", a["polarity"]) for t, a in zip(topics, r["aspects"])]
            recs.append(record(f"cartopics-{split}-{len(recs)}", r["text"], "zh",
                               codes_from_pairs(pairs)))
        out[f"cartopics-zh-{split}.jsonl"] = recs
    return out


CONVERTERS = [
    ("semeval16-en", semeval16_en),
    ("semeval16-ru", semeval16_ru),
    ("semeval15-en", semeval15_en),
    ("semeval14-en", semeval14_en),
    ("mams-en", mams_en),
    ("asap-zh", asap_zh),
    ("asap-aspects-zh", asap_aspects_zh),
    ("suggestions-en", suggestions_en),
    ("pyabsa-zh", pyabsa_zh),
    ("pyabsa-products-zh", pyabsa_products_zh),
    ("pyabsa-car-topics-zh", pyabsa_car_topics_zh),
]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=DEFAULT_OUT, help="output directory (default: target/gold)")
    ap.add_argument("--shared", default=DEFAULT_SHARED,
                    help="corpora directory (default: ../shared/corpora next to the repo)")
    ap.add_argument("--only", nargs="*", metavar="NAME",
                    help="run only these converters: " + ", ".join(n for n, _ in CONVERTERS))
    args = ap.parse_args(argv)

    shared, out = os.path.abspath(args.shared), os.path.abspath(args.out)
    if not os.path.isdir(shared):
        sys.exit(f"corpora directory not found: {shared} (use --shared)")
    unknown = set(args.only or []) - {n for n, _ in CONVERTERS}
    if unknown:
        sys.exit(f"unknown converter(s): {', '.join(sorted(unknown))}")

    summaries = []
    print(f"{'file':40} {'records':>8} {'coded':>7} {'labels':>7}  points / extra")
    for name, fn in CONVERTERS:
        if args.only and name not in args.only:
            continue
        for fname, recs in fn(shared).items():
            s = write_jsonl(out, fname, recs)
            summaries.append(s)
            extra = ", ".join(f"{k}={v}" for k, v in s["points"].items())
            if "suggestion" in s:
                extra = f"suggestion={s['suggestion']}"
            if "aspect_terms" in s:
                extra = f"aspect_terms={s['aspect_terms']} {s['aspect_polarity']}"
            print(f"{fname:40} {s['records']:8d} {s['with_codes']:7d} {s['code_labels']:7d}  {extra}")
    with open(os.path.join(out, "SUMMARY.json"), "w", encoding="utf-8") as fh:
        json.dump(summaries, fh, ensure_ascii=False, indent=1)
    print(f"wrote {len(summaries)} files to {out}")


if __name__ == "__main__":
    main()
