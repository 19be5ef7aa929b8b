#!/usr/bin/env python3
"""PII redaction, measured through the product: `vocmine analyze --redact`.

    .venv-models/bin/python scripts/pii_eval.py [--bin target/release/vocmine] [--out /tmp/pii]

1. A labelled set generated here (seeded): texts in Chinese, Russian and
   English that carry personal data of every kind in realistic formats
   (separators, country codes, full-width digits, grouped card numbers,
   cues in several wordings) beside numbers that are not personal data
   (order and tracking numbers, prices, dates, times, versions, model
   numbers, quantities). Each text is a record; `vocmine analyze
   --no-model --redact` redacts it; the placeholders of the output text are
   aligned back to the original (difflib) and scored against the gold
   spans per kind: precision, recall, and spans whose characters leaked
   (a detection that covers only part of a number).
2. False positives on real texts: every text of the labelled corpora in
   ../shared/corpora that models/train_sentiment.py reads (reviews, tweets,
   banking and hotel queries; about 45k texts, none written here) goes
   through the same command, and every redaction is listed with its
   context in OUT/corpora.redactions.tsv for reading; the counts per kind
   and corpus are printed. Real personal data is rare there, so most of
   these are false positives; read the file to tell.

Run with the models' virtual environment (it reads the corpora with the
loaders of models/train_sentiment.py). Nothing is written to the repository.
"""
import argparse
import collections
import difflib
import json
import os
import random
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
KINDS = ["email", "id_cn", "card", "snils", "inn", "passport_ru", "phone", "ip", "plate", "name"]
PLACEHOLDER = {"email": "[EMAIL]", "id_cn": "[ID_CN]", "card": "[CARD]", "snils": "[SNILS]", "inn": "[INN]",
               "passport_ru": "[PASSPORT]", "phone": "[PHONE]", "ip": "[IP]", "plate": "[PLATE]", "name": "[NAME]"}


# --- value generators (formats as people write them) ------------------------

def digits(r, n, first=None):
    s = "".join(str(r.randrange(10)) for _ in range(n))
    return (first + s[len(first):]) if first else s


def luhn_complete(body):
    total = 0
    for i, ch in enumerate(reversed(body)):
        v = int(ch)
        if i % 2 == 0:
            v *= 2
            if v > 9:
                v -= 9
        total += v
    return body + str((10 - total % 10) % 10)


def group(s, sizes, sep):
    out, i = [], 0
    for n in sizes:
        out.append(s[i:i + n])
        i += n
    if i < len(s):
        out.append(s[i:])
    return sep.join(x for x in out if x)


def cn_mobile(r):
    n = "1" + r.choice("3456789") + digits(r, 9)
    f = r.randrange(6)
    if f == 0:
        return n
    if f == 1:
        return group(n, [3, 4, 4], "-")
    if f == 2:
        return group(n, [3, 4, 4], " ")
    if f == 3:
        return "+86 " + n
    if f == 4:
        return "+86-" + group(n, [3, 4, 4], "-")
    return n.translate(str.maketrans("0123456789", "０１２３４５６７８９"))


def cn_landline(r):
    area = r.choice(["010", "021", "020", "0755", "0571", "028", "027", "0512", "023", "0731"])
    local = digits(r, 8 if len(area) == 3 else r.choice([7, 8]), first=r.choice("2345678"))
    f = r.randrange(3)
    if f == 0:
        return area + "-" + local
    if f == 1:
        return "(" + area + ")" + local
    return area + " " + local


def ru_phone(r):
    code = r.choice(["916", "903", "925", "985", "999", "495", "812", "343", "905", "963"])
    n = digits(r, 7)
    f = r.randrange(6)
    if f == 0:
        return "+7 (%s) %s-%s-%s" % (code, n[:3], n[3:5], n[5:])
    if f == 1:
        return "8 (%s) %s-%s-%s" % (code, n[:3], n[3:5], n[5:])
    if f == 2:
        return "+7%s%s" % (code, n)
    if f == 3:
        return "8-%s-%s-%s-%s" % (code, n[:3], n[3:5], n[5:])
    if f == 4:
        return "+7 %s %s %s %s" % (code, n[:3], n[3:5], n[5:])
    return "8%s%s" % (code, n)


def intl_phone(r):
    f = r.randrange(5)
    if f == 0:
        return "+44 20 %s %s" % (digits(r, 4, "7"), digits(r, 4))
    if f == 1:
        return "+49 30 %s" % digits(r, 8)
    if f == 2:
        return "(%s) %s-%s" % (r.choice(["415", "212", "646", "303", "512"]), digits(r, 3, "5"), digits(r, 4))
    if f == 3:
        return "+1 %s-%s-%s" % (r.choice(["415", "212", "646"]), digits(r, 3, "5"), digits(r, 4))
    return "+33 6 %s %s %s %s" % (digits(r, 2), digits(r, 2), digits(r, 2), digits(r, 2))


def email(r):
    user = r.choice(["wang.lei", "zhangwei88", "ivan_petrov", "anna.s", "john.smith", "kate-b", "li_na2020",
                     "sergey.k", "m.ivanova", "dave99", "xiaoming", "olga.n"])
    dom = r.choice(["qq.com", "163.com", "gmail.com", "mail.ru", "yandex.ru", "outlook.com", "126.com",
                    "company.co.uk", "bk.ru", "sina.com.cn"])
    return user + "@" + dom


ID_W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def id_cn(r):
    region = r.choice(["110105", "310104", "440305", "330106", "510107", "420106", "320102", "370202"])
    birth = "%04d%02d%02d" % (r.randrange(1950, 2006), r.randrange(1, 13), r.randrange(1, 29))
    body = region + birth + digits(r, 3)
    check = "10X98765432"[sum(int(d) * w for d, w in zip(body, ID_W)) % 11]
    s = body + check
    return s if r.random() < 0.85 else s[:6] + " " + s[6:14] + " " + s[14:]


def card(r):
    kind = r.randrange(5)
    if kind == 0:
        n = luhn_complete("4" + digits(r, 14))
    elif kind == 1:
        n = luhn_complete("5" + r.choice("12345") + digits(r, 13))
    elif kind == 2:
        n = luhn_complete("62" + digits(r, r.choice([13, 16])))
    elif kind == 3:
        n = luhn_complete("220" + r.choice("01234") + digits(r, 11))
    else:
        n = luhn_complete("3" + r.choice("47") + digits(r, 12))
    f = r.randrange(3)
    if f == 0:
        return n
    if len(n) == 15:
        return group(n, [4, 6, 5], " ")
    return group(n, [4, 4, 4, 4], " " if f == 1 else "-")


def snils(r):
    d = digits(r, 9)
    total = sum(int(x) * (9 - i) for i, x in enumerate(d))
    c = total % 101
    c = 0 if c == 100 else c
    return "%s-%s-%s %02d" % (d[:3], d[3:6], d[6:], c)


def inn(r):
    def chk(d, w):
        return str(sum(int(x) * y for x, y in zip(d, w)) % 11 % 10)
    if r.random() < 0.5:
        d = digits(r, 9, first="77")
        return d + chk(d, [2, 4, 10, 3, 5, 9, 4, 6, 8])
    d = digits(r, 10, first="50")
    d += chk(d, [7, 2, 4, 10, 3, 5, 9, 4, 6, 8])
    return d + chk(d, [3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8])


def passport_ru(r):
    s, n = digits(r, 4, first="4"), digits(r, 6)
    f = r.randrange(3)
    if f == 0:
        return "%s %s %s" % (s[:2], s[2:], n)
    if f == 1:
        return "%s %s" % (s, n)
    return s + n


def ipv4(r):
    f = r.randrange(3)
    if f == 0:
        return "192.168.%d.%d" % (r.randrange(256), r.randrange(1, 255))
    if f == 1:
        return "%d.%d.%d.%d" % (r.randrange(11, 223), r.randrange(256), r.randrange(256), r.randrange(1, 255))
    return "2001:db8:%x:%x::%x" % (r.randrange(65536), r.randrange(65536), r.randrange(1, 65536))


PROV = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
PL = "ABCDEFGHJKLMNPQRSTUVWXYZ"
RU_PL = "АВЕКМНОРСТУХ"


def plate_cn(r):
    tail = "".join(r.choice("0123456789" if i != 1 or r.random() < 0.7 else PL) for i in range(5))
    p = r.choice(PROV) + r.choice(PL)
    if r.random() < 0.2:
        tail = r.choice("DF") + digits(r, 5)
    return p + ("·" if r.random() < 0.2 else "") + tail


def plate_ru(r):
    p = "%s%s%s%s" % (r.choice(RU_PL), digits(r, 3, first=str(r.randrange(1, 10))), r.choice(RU_PL) + r.choice(RU_PL),
                      r.choice(["77", "99", "177", "777", "50", "78", "197", "16"]))
    return p if r.random() < 0.7 else p[0] + " " + p[1:4] + " " + p[4:6] + " " + p[6:]


ZH_SUR = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余杜叶程魏苏吕丁任卢姚沈钟姜崔谭陆范"
ZH_GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英", "小明",
            "建华", "志强", "海燕", "晓东", "丽娟", "子轩", "雨涵", "浩然", "欣怡"]
RU_FIRST = ["Анна", "Иван", "Мария", "Сергей", "Ольга", "Дмитрий", "Елена", "Алексей", "Наталья", "Андрей", "Татьяна",
            "Михаил", "Юлия", "Никита", "Екатерина"]
RU_LAST = ["Петрова", "Иванов", "Смирнова", "Кузнецов", "Попова", "Соколов", "Лебедева", "Козлов", "Новикова", "Морозов"]
EN_FIRST = ["John", "Emily", "Michael", "Sarah", "David", "Jessica", "James", "Laura", "Robert", "Anna", "Kevin", "Linda"]
EN_LAST = ["Smith", "Johnson", "Brown", "Taylor", "Miller", "Davis", "Wilson", "Clark", "Lewis", "Walker"]


# --- texts: (language, kind) -> templates; {} is the value ---------------------

TEMPLATES = {
    ("zh", "phone"): ["我的手机号是{}，麻烦尽快回电", "电话{}，送到了打给我", "联系电话：{}", "有问题打{}找我",
                      "客服一直不接，我留了号码{}也没人回", "请拨打{}联系收货人", "座机{}，白天都在"],
    ("zh", "email"): ["发票请发到邮箱{}", "我的邮箱是{}，一直没收到确认邮件", "联系邮箱：{}"],
    ("zh", "id_cn"): ["身份证号{}，实名认证一直失败", "我的身份证是{}", "证件号码：{}，请核实"],
    ("zh", "card"): ["我的银行卡{}被扣了两次款", "卡号{}，退款还没到账", "用尾号不对的卡{}付的"],
    ("zh", "ip"): ["登录IP是{}，不是我本人", "异地登录提醒，IP地址{}"],
    ("zh", "plate"): ["车牌{}，停车场收费有问题", "我的车{}在4S店保养", "车牌号是{}的那辆车被刮了"],
    ("zh", "name"): ["我叫{}，上周在你们店买的", "您好，我姓{s}，手机坏了", "联系人：{}", "{s}先生您好，请问有什么可以帮您",
                     "我的名字叫{}，订单一直没到", "收货人是{}", "免贵姓{s}"],
    ("ru", "phone"): ["Мой телефон {}, перезвоните пожалуйста", "Звоните по номеру {}", "Оставил номер {}, никто не перезвонил",
                      "Контактный телефон: {}", "позвоните мне {} после обеда"],
    ("ru", "email"): ["Пишите на почту {}", "Мой e-mail {}, письмо так и не пришло", "почта: {}"],
    ("ru", "card"): ["С карты {} списали дважды", "номер карты {}, деньги не вернули", "Оплатил картой {}"],
    ("ru", "snils"): ["СНИЛС {}", "мой СНИЛС {} не принимают", "Указал снилс {} в анкете"],
    ("ru", "inn"): ["ИНН {}", "мой ИНН {} указан неверно", "ИНН: {}, проверьте пожалуйста"],
    ("ru", "passport_ru"): ["паспорт {}", "Паспорт серия и номер {} не проходит проверку", "данные паспорта: {}"],
    ("ru", "ip"): ["Вход с IP {}, это не я", "заблокировали адрес {}"],
    ("ru", "plate"): ["Машина {} стоит у офиса", "госномер {}, штраф пришёл ошибочно", "номер авто {}"],
    ("ru", "name"): ["Здравствуйте, меня зовут {}", "Меня зовут {}, заказ не пришёл", "с вами говорит {}", "моя фамилия {l}",
                     "Получатель: {}"],
    ("en", "phone"): ["Call me at {} please", "my number is {}, nobody called back", "Phone: {}", "you can reach me on {}",
                      "I left my number {} twice"],
    ("en", "email"): ["email me at {}", "My e-mail is {} and I never got the receipt", "Contact: {}"],
    ("en", "card"): ["my card {} was charged twice", "Card number {} still not refunded", "I paid with {}"],
    ("en", "ip"): ["someone logged in from {}", "blocked IP {} again"],
    ("en", "name"): ["Hi, my name is {}", "my name's {} and I ordered last week", "This is Anna, am I speaking with {}?",
                     "Thanks Mr. {l}", "please ask for Mrs {l} at the desk", "my last name is {l}"],
}
VALUES = {"phone": {"zh": [cn_mobile, cn_mobile, cn_landline], "ru": [ru_phone], "en": [intl_phone]},
          "email": {"*": [email]}, "id_cn": {"*": [id_cn]}, "card": {"*": [card]}, "snils": {"*": [snils]},
          "inn": {"*": [inn]}, "passport_ru": {"*": [passport_ru]}, "ip": {"*": [ipv4]},
          "plate": {"zh": [plate_cn], "ru": [plate_ru]}}

# Formats the detectors were not written for (spoken digits in ASR text,
# obfuscated e-mails, names without a cue, other separators): scored apart,
# to show what is missed.
HARD = {
    ("zh", "phone"): ["我的电话是{}", "手机{}"],
    ("ru", "phone"): ["мой номер {}"],
    ("en", "email"): ["write to {}"],
    ("zh", "name"): ["我是{}，上周买的", "{}打来的电话"],
    ("ru", "name"): ["Это {}, звоню по заказу"],
    ("en", "name"): ["{} here, my order is late"],
    ("en", "phone"): ["call {}"],
}
ZH_DIGITS = "零一二三四五六七八九"


def hard_value(r, lang, kind):
    if kind == "phone" and lang == "zh":
        n = "1" + r.choice("3589") + digits(r, 9)
        f = r.randrange(3)
        if f == 0:
            return "".join(ZH_DIGITS[int(d)] if d != "1" else "幺" for d in n)
        if f == 1:
            return group(n, [3, 4, 4], ".")
        return group(n, [3, 3, 5], " ")
    if kind == "phone" and lang == "ru":
        return "8 %s %s %s" % (r.choice(["916", "903"]), digits(r, 3), digits(r, 4))
    if kind == "phone":
        return "%s.%s.%s" % (r.choice(["415", "212"]), digits(r, 3, "5"), digits(r, 4))
    if kind == "email":
        return r.choice(["wang.lei at qq dot com", "ivan_petrov [at] mail.ru", "john (at) gmail.com"])
    if kind == "name" and lang == "zh":
        return r.choice(ZH_SUR) + r.choice(ZH_GIVEN)
    if kind == "name" and lang == "ru":
        return r.choice(RU_FIRST)
    return r.choice(EN_FIRST)


def generate_hard(seed, per_kind):
    r = random.Random(seed + 1)
    out = []
    for (lang, kind), templates in sorted(HARD.items()):
        for i in range(per_kind):
            pre, post = r.choice(templates).split("{}", 1)
            value = hard_value(r, lang, kind)
            out.append({"id": "hard-%s-%s-%d" % (lang, kind, i), "text": pre + value + post, "lang": lang,
                        "gold": [(kind, len(pre), len(pre) + len(value))]})
    return out


# Numbers that are not personal data, in sentences people write.
DISTRACTORS = {
    "zh": [lambda r: "订单号%s还没发货" % digits(r, r.choice([18, 19]), first=r.choice(["2023", "2024", "1", "3"])),
           lambda r: "价格%d.%02d元，%d月%d日下的单" % (r.randrange(10, 5000), r.randrange(100), r.randrange(1, 13), r.randrange(1, 29)),
           lambda r: "%d-%02d-%02d到货，等了%d天" % (r.randrange(2019, 2027), r.randrange(1, 13), r.randrange(1, 29), r.randrange(2, 20)),
           lambda r: "快递单号SF%s一直没更新" % digits(r, 13),
           lambda r: "京东订单%s" % digits(r, 12, first=str(r.randrange(1, 10))),
           lambda r: "系统升级到%d.%d.%d.%d以后很卡" % (r.randrange(1, 20), r.randrange(10), r.randrange(10), r.randrange(100)),
           lambda r: "买了%d件，优惠%d%%" % (r.randrange(1, 10), r.randrange(5, 60)),
           lambda r: "下午%d:%02d到的，排队%d分钟" % (r.randrange(1, 12), r.randrange(60), r.randrange(5, 90)),
           lambda r: "型号%s，%dGB版本" % (r.choice(["iPhone 15 Pro", "Mate 60", "小米14", "RTX 4090"]), r.choice([128, 256, 512])),
           lambda r: "工单号%s，处理了%d次" % (digits(r, 11, first="1"), r.randrange(2, 6))],
    "ru": [lambda r: "заказ №%s так и не пришёл" % digits(r, r.choice([8, 10, 11])),
           lambda r: "заплатил %d %03d руб. %02d.%02d.%d" % (r.randrange(1, 99), r.randrange(1000), r.randrange(1, 29), r.randrange(1, 13), r.randrange(2019, 2027)),
           lambda r: "трек-номер RA%sRU" % digits(r, 9),
           lambda r: "ждали с %d:%02d до %d:%02d" % (r.randrange(8, 12), r.randrange(60), r.randrange(13, 20), r.randrange(60)),
           lambda r: "версия приложения %d.%d.%d" % (r.randrange(1, 9), r.randrange(20), r.randrange(100)),
           lambda r: "обращение %s до сих пор не решено" % digits(r, 10, first="1"),
           lambda r: "курс %d,%02d, комиссия %d%%" % (r.randrange(60, 110), r.randrange(100), r.randrange(1, 5)),
           lambda r: "договор № %s от %d года" % (digits(r, 12, first="4"), r.randrange(2015, 2026))],
    "en": [lambda r: "order #%s never arrived" % digits(r, r.choice([9, 10, 12])),
           lambda r: "paid $%d,%03d.%02d on %d/%d/%d" % (r.randrange(1, 9), r.randrange(1000), r.randrange(100), r.randrange(1, 13), r.randrange(1, 29), r.randrange(2019, 2027)),
           lambda r: "tracking number 1Z%s" % digits(r, 16),
           lambda r: "after the %d.%d.%d update it crashes" % (r.randrange(1, 20), r.randrange(10), r.randrange(10)),
           lambda r: "waited from %d:%02d to %d:%02d" % (r.randrange(8, 12), r.randrange(60), r.randrange(1, 6), r.randrange(60)),
           lambda r: "ticket %s is still open after %d days" % (digits(r, 8), r.randrange(2, 30)),
           lambda r: "the %d model with %d GB, %d%% off" % (r.randrange(2015, 2026), r.choice([8, 16, 32]), r.randrange(5, 60)),
           lambda r: "room %d, %d nights" % (r.randrange(100, 2000), r.randrange(1, 9))],
}
SEP = {"zh": "，", "ru": ", ", "en": ", "}


def name_value(r, lang, template):
    if lang == "zh":
        s = r.choice(ZH_SUR)
        return s, s + r.choice(ZH_GIVEN)
    if lang == "ru":
        first, last = r.choice(RU_FIRST), r.choice(RU_LAST)
        return last, first + (" " + last if r.random() < 0.5 else "")
    first, last = r.choice(EN_FIRST), r.choice(EN_LAST)
    return last, first + (" " + last if r.random() < 0.5 else "")


def generate(seed, per_kind):
    """Records with their gold spans (chars of the text): [(kind, start, end)]."""
    r = random.Random(seed)
    out = []
    for (lang, kind), templates in sorted(TEMPLATES.items()):
        for i in range(per_kind):
            t = r.choice(templates)
            if kind == "name":
                surname, full = name_value(r, lang, t)
                value = surname if ("{s}" in t or "{l}" in t) else full
                t = t.replace("{s}", "{}").replace("{l}", "{}")
            else:
                gens = VALUES[kind].get(lang) or VALUES[kind]["*"]
                value = r.choice(gens)(r)
            pre, post = t.split("{}", 1)
            text, gold = pre + value, [(kind, len(pre), len(pre) + len(value))]
            text += post
            # One or two numbers that are not personal data, before or after.
            for _ in range(r.choice([1, 1, 2])):
                d = r.choice(DISTRACTORS[lang])(r)
                if r.random() < 0.5:
                    shift = len(d) + len(SEP[lang])
                    text = d + SEP[lang] + text
                    gold = [(k, s + shift, e + shift) for k, s, e in gold]
                else:
                    text = text + SEP[lang] + d
            out.append({"id": "%s-%s-%d" % (lang, kind, i), "text": text, "lang": lang, "gold": gold})
    # Texts with no personal data at all: distractors alone.
    for lang in DISTRACTORS:
        for i in range(per_kind * 2):
            parts = [r.choice(DISTRACTORS[lang])(r) for _ in range(r.choice([1, 2, 3]))]
            out.append({"id": "%s-none-%d" % (lang, i), "text": SEP[lang].join(parts), "lang": lang, "gold": []})
    return out


def analyze(binary, records, path_in, path_out):
    with open(path_in, "w", encoding="utf-8") as f:
        for rec in records:
            f.write(json.dumps({"id": rec["id"], "text": rec["text"]}, ensure_ascii=False) + "\n")
    cmd = [binary, "analyze", "--no-model", "--redact", path_in, "-o", path_out, "-q"]
    subprocess.run(cmd, check=True)
    with open(path_out, encoding="utf-8") as f:
        return [json.loads(line) for line in f], " ".join(cmd)


def original_spans(original, redacted, redactions):
    """The original char spans of the placeholders of `redacted`, by aligning both texts."""
    sm = difflib.SequenceMatcher(None, original, redacted, autojunk=False)
    # For each char of `redacted`, the original position it maps to (equal blocks).
    spans = []
    blocks = sm.get_matching_blocks()
    for red in redactions:
        rs, re_ = red["start"], red["end"]
        # Original start: after the last equal block ending at or before rs.
        ostart, oend = 0, len(original)
        for b in blocks:
            if b.b + b.size <= rs:
                ostart = b.a + b.size
            if b.b >= re_ and b.size > 0:
                oend = b.a
                break
        spans.append((red["kind"], ostart, oend))
    return spans


def score(records, outputs):
    tp, fp, fn, leak, wrong = (collections.Counter() for _ in range(5))
    fp_examples, fn_examples = collections.defaultdict(list), collections.defaultdict(list)
    for rec, out in zip(records, outputs):
        pred = original_spans(rec["text"], out.get("text", ""), out.get("redactions", []))
        used = set()
        for kind, gs, ge in rec["gold"]:
            hit = [i for i, (k, s, e) in enumerate(pred) if s < ge and e > gs]
            same = [i for i in hit if pred[i][0] == kind]
            if same:
                tp[kind] += 1
                used.update(same)
            else:
                fn[kind] += 1
                if hit:
                    wrong[kind] += 1
                    used.update(hit)
                fn_examples[kind].append(rec["text"])
            covered = set()
            for i in hit:
                covered.update(range(pred[i][1], pred[i][2]))
            if any(c.isalnum() and gs + j not in covered for j, c in enumerate(rec["text"][gs:ge])):
                leak[kind] += 1
        for i, (k, s, e) in enumerate(pred):
            if i not in used:
                fp[k] += 1
                fp_examples[k].append("%s  <<%s>>" % (rec["text"], rec["text"][s:e]))
    return tp, fp, fn, leak, wrong, fp_examples, fn_examples


def corpora_texts():
    sys.path.insert(0, os.path.join(ROOT, "models"))
    import train_sentiment as ts  # noqa: E402
    seen = set()
    for r in ts.build_data():
        if r["unit"] == "clause" or r["text"] in seen:
            continue
        seen.add(r["text"])
        yield r["source"], r["text"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default=os.path.join(ROOT, "target/release/vocmine"))
    ap.add_argument("--out", default="/tmp/pii")
    ap.add_argument("--per-kind", type=int, default=150, help="generated texts per (language, kind)")
    ap.add_argument("--seed", type=int, default=20261205)
    ap.add_argument("--no-corpora", action="store_true")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)

    records = generate(a.seed, a.per_kind)
    outputs, cmd = analyze(a.bin, records, os.path.join(a.out, "generated.jsonl"),
                           os.path.join(a.out, "generated.out.jsonl"))
    tp, fp, fn, leak, wrong, fpx, fnx = score(records, outputs)
    print("## Generated labelled set (%d texts, seed %d): %s" % (len(records), a.seed, cmd))
    print("| kind | gold | found | P | R | leaked | other kind |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for k in KINDS:
        g = tp[k] + fn[k]
        p = tp[k] / (tp[k] + fp[k]) if tp[k] + fp[k] else float("nan")
        rr = tp[k] / g if g else float("nan")
        print("| %s | %d | %d | %.3f | %.3f | %d | %d |" % (k, g, tp[k] + fp[k], p, rr, leak[k], wrong[k]))
    T, F, N = sum(tp.values()), sum(fp.values()), sum(fn.values())
    print("| all | %d | %d | %.3f | %.3f | %d | %d |" % (T + N, T + F, T / max(T + F, 1), T / max(T + N, 1),
                                                      sum(leak.values()), sum(wrong.values())))
    with open(os.path.join(a.out, "generated.errors.txt"), "w", encoding="utf-8") as f:
        for k in KINDS:
            for x in fpx[k][:50]:
                f.write("FP %s\t%s\n" % (k, x))
            for x in fnx[k][:50]:
                f.write("FN %s\t%s\n" % (k, x))
    print("errors: %s" % os.path.join(a.out, "generated.errors.txt"))

    hard = generate_hard(a.seed, max(a.per_kind // 3, 20))
    outs, cmd = analyze(a.bin, hard, os.path.join(a.out, "hard.jsonl"), os.path.join(a.out, "hard.out.jsonl"))
    tp, fp, fn, leak, wrong, fpx, fnx = score(hard, outs)
    print("\n## Formats outside the first detectors (%d texts): %s" % (len(hard), cmd))
    print("| language / kind | gold | R | examples missed |")
    print("|---|---:|---:|---|")
    for (lang, kind) in sorted(HARD):
        recs = [(h, o) for h, o in zip(hard, outs) if h["lang"] == lang and h["gold"][0][0] == kind]
        t, f, n, _, _, _, fx = score([h for h, _ in recs], [o for _, o in recs])
        g = t[kind] + n[kind]
        print("| %s %s | %d | %.2f | %s |" % (lang, kind, g, t[kind] / max(g, 1), " · ".join(fx[kind][:2])))

    if a.no_corpora:
        return
    texts = list(corpora_texts())
    recs = [{"id": "c%d" % i, "text": t} for i, (_, t) in enumerate(texts)]
    outs, cmd = analyze(a.bin, recs, os.path.join(a.out, "corpora.jsonl"), os.path.join(a.out, "corpora.out.jsonl"))
    per = collections.Counter()
    n_per = collections.Counter(src for src, _ in texts)
    rows = []
    for (src, text), out in zip(texts, outs):
        for red in out.get("redactions", []):
            per[(src, red["kind"])] += 1
            red_text = out.get("text", "")
            rows.append("%s\t%s\t%s" % (src, red["kind"], red_text[max(0, red["start"] - 40):red["end"] + 40].replace("\t", " ").replace("\n", " ")))
    with open(os.path.join(a.out, "corpora.redactions.tsv"), "w", encoding="utf-8") as f:
        f.write("\n".join(rows) + "\n")
    print("\n## Real corpora (%d texts): %s" % (len(texts), cmd))
    print("| corpus | texts | redactions by kind |")
    print("|---|---:|---|")
    for src in sorted(n_per):
        kinds = ", ".join("%s %d" % (k, per[(src, k)]) for k in KINDS if per[(src, k)])
        print("| %s | %d | %s |" % (src, n_per[src], kinds or "none"))
    print("total redactions: %d (listed with context in %s)" % (len(rows), os.path.join(a.out, "corpora.redactions.tsv")))


if __name__ == "__main__":
    main()
