"""Rider messages as riders write them (typos, dialect, voice-recognition homophones, emoji,
full-width characters, mixed Chinese/English) and the intent each must reach.

Intents: "nearby" (a station answer), "svc:<code>" (stations offering that service), "place"
(stations near a place named), "join", "closed", "legal:<topic>" ("legal" when no topic),
"human", "help", "hello", "member", "my_cases", "feedback", "none" (not understood).
"""

from __future__ import annotations

MESSAGES: tuple[tuple[str, str], ...] = (
    # stations nearby
    ("附近驿站", "nearby"),
    ("附近驿栈", "nearby"),  # voice: 栈 for 站
    ("附近一站", "nearby"),  # voice: 一站 for 驿站
    ("富近驿站", "nearby"),  # voice: 富 for 附
    ("附进驿站", "nearby"),
    ("附近的驿站在哪", "nearby"),
    ("最近的驿站在哪儿", "nearby"),
    ("找驿站", "nearby"),
    ("驿站在哪", "nearby"),
    ("附近有驿站吗😊", "nearby"),
    ("哪有驿站啊", "nearby"),
    ("驛站在哪裡", "nearby"),  # traditional characters
    ("ｎｅａｒｂｙ", "nearby"),  # full-width
    ("nearby 驿站", "nearby"),
    ("Nearby station", "nearby"),
    ("neaby station", "nearby"),
    ("statoin near me", "nearby"),
    ("附近 驿站", "nearby"),
    ("附近驿站！！！", "nearby"),
    ("俺附近有驿站不", "nearby"),
    ("最近驿站咋走", "nearby"),
    ("附近有休息站吗", "svc:rest"),  # 休息 is a service every station lists
    ("附近有冇驿站", "nearby"),
    ("closest 驿站", "nearby"),
    ("驿站几点关门", "nearby"),  # asks for hours, not a report
    ("帮我找找附近的驿站🙏", "nearby"),
    # services
    ("厕所", "svc:toilet_guidance"),
    ("测所在哪", "svc:toilet_guidance"),  # voice: 测所
    ("上厕所😣", "svc:toilet_guidance"),
    ("附近有厕所吗", "svc:toilet_guidance"),
    ("想尿尿", "svc:toilet_guidance"),
    ("茅房在哪", "svc:toilet_guidance"),
    ("卫生间", "svc:toilet_guidance"),
    ("toilet", "svc:toilet_guidance"),
    ("toliet", "svc:toilet_guidance"),  # typo
    ("wc在哪", "svc:toilet_guidance"),
    ("热饭", "svc:meal_heating"),
    ("哪里能热饭", "svc:meal_heating"),
    ("微波炉", "svc:meal_heating"),
    ("想吃口热乎饭", "svc:meal_heating"),
    ("microwave", "svc:meal_heating"),
    ("喝水", "svc:drinking_water"),
    ("口渴了", "svc:drinking_water"),
    ("接点热水", "svc:drinking_water"),
    ("充电", "svc:phone_charging"),
    ("手机没电了", "svc:phone_charging"),
    ("冲电", "svc:phone_charging"),  # voice: 冲 for 充
    ("charging", "svc:phone_charging"),
    ("换电", "svc:ebike_charging"),
    ("电瓶车充电", "svc:ebike_charging"),
    ("换电池", "svc:ebike_charging"),
    ("雨伞", "svc:rain_gear"),
    ("下雨了", "svc:rain_gear"),
    ("umbrella", "svc:rain_gear"),
    ("药", "svc:first_aid"),
    ("创可贴", "svc:first_aid"),
    ("中暑了", "svc:first_aid"),
    ("受伤了有创可贴吗", "svc:first_aid"),  # a band-aid now, not legal aid
    ("休息", "svc:rest"),
    ("歇会儿", "svc:rest"),  # erhua
    ("理发", "svc:haircut"),
    ("剪头发", "svc:haircut"),
    ("补胎", "svc:repair_tools"),
    ("打气", "svc:repair_tools"),
    ("ｗａｔｅｒ", "svc:drinking_water"),
    # places
    ("包头", "place"),
    ("赛罕区", "place"),
    ("呼和浩特 赛罕区", "place"),
    ("新城区有驿站吗", "place"),
    ("回民区厕所", "place"),
    ("东胜", "place"),
    ("去包头", "place"),
    # joining the union
    ("入会", "join"),
    ("我要入会", "join"),
    ("怎么入会", "join"),
    ("咋入会啊", "join"),
    ("如何加入工会", "join"),
    ("加入公会", "join"),  # voice: 公会
    ("入工会", "join"),
    ("想参加工会", "join"),
    ("怎么人会", "join"),  # typo: 人 for 入
    ("我想入个会", "join"),
    ("申请入会👍", "join"),
    ("入会！", "join"),
    ("俺想入会", "join"),
    ("join union", "join"),
    ("how to join the union", "join"),
    ("如会", "join"),  # voice: 如 for 入
    ("咋样才能加入工会", "join"),
    ("入汇", "join"),  # voice
    # a closed station
    ("驿站关门了", "closed"),
    ("关门了", "closed"),
    ("锁门了", "closed"),
    ("没开门", "closed"),
    ("驿站没开门啊😡", "closed"),
    ("门锁着进不去", "closed"),
    ("到了发现关门儿了", "closed"),
    ("驿站咋没开", "closed"),
    ("大白天的不开门", "closed"),
    ("这个驿站锁着呢", "closed"),
    ("关们了", "closed"),  # voice: 们
    ("管门了", "closed"),  # voice: 管
    ("驿站关了", "closed"),
    ("黑着灯没人", "closed"),
    ("closed", "closed"),
    ("the station is closed", "closed"),
    ("门没开", "closed"),
    ("冇开门", "closed"),  # Cantonese
    ("说是24小时的结果锁门了", "closed"),
    # legal aid
    ("欠薪", "legal:unpaid_wages"),
    ("欠新", "legal:unpaid_wages"),  # voice: 新
    ("欠心", "legal:unpaid_wages"),
    ("老板拖欠工资", "legal:unpaid_wages"),
    ("工资没发", "legal:unpaid_wages"),
    ("工资三个月没给了", "legal:unpaid_wages"),
    ("老板不给钱😭", "legal:unpaid_wages"),
    ("讨薪", "legal:unpaid_wages"),
    ("工钱要不回来", "legal:unpaid_wages"),
    ("平台克扣工资", "legal:unpaid_wages"),
    ("公资没发", "legal:unpaid_wages"),  # voice: 公资
    ("unpaid wages", "legal:unpaid_wages"),
    ("salary not paid", "legal:unpaid_wages"),
    ("受伤了", "legal:work_injury"),
    ("送外卖摔伤了", "legal:work_injury"),
    ("干活时受伤", "legal:work_injury"),
    ("腿摔了", "legal:work_injury"),
    ("工伤怎么认定", "legal:work_injury"),
    ("受上了", "legal:work_injury"),  # voice: 受上
    ("I got hurt", "legal:work_injury"),
    ("被车撞了", "legal:traffic_accident"),
    ("出车祸了", "legal:traffic_accident"),
    ("追尾了", "legal:traffic_accident"),
    ("被罚款了", "legal:account_penalty"),
    ("账号被封了", "legal:account_penalty"),
    ("封号了怎么办", "legal:account_penalty"),
    ("没交社保", "legal:social_insurance"),
    ("被辞退了", "legal:labour_contract"),
    ("公司不签合同", "legal:labour_contract"),
    ("想找律师", "legal"),
    ("我要维权", "legal"),
    ("法律咨询", "legal"),
    # a person
    ("人工", "human"),
    ("转人工", "human"),
    ("人工客服", "human"),
    ("找工会", "human"),
    ("我要找工会的人", "human"),
    ("联系工会", "human"),
    ("工会电话多少", "human"),
    ("真人在吗", "human"),
    ("客服", "human"),
    ("有没有工作人员", "human"),
    ("human please", "human"),
    ("talk to a real person", "human"),
    ("找公会", "human"),  # voice: 公会
    # help, greetings
    ("帮助", "help"),
    ("怎么用", "help"),
    ("咋用啊", "help"),
    ("能干啥", "help"),
    ("你能做什么", "help"),
    ("help", "help"),
    ("menu", "help"),
    ("使用说明", "help"),
    ("你好", "hello"),
    ("您好👋", "hello"),
    ("在吗", "hello"),
    ("hi", "hello"),
    ("Hello", "hello"),
    ("哈喽", "hello"),
    # my membership, my requests, feedback
    ("我的会员", "member"),
    ("查会员号", "member"),
    ("入会进度", "member"),
    ("我入会了吗", "member"),
    ("会员信息", "member"),
    ("membership", "member"),
    ("我的求助", "my_cases"),
    ("查进度", "my_cases"),
    ("我的反馈有回复了吗", "my_cases"),
    ("求助进度", "my_cases"),
    ("处理得怎么样了", "my_cases"),
    ("my cases", "my_cases"),
    ("反馈问题", "feedback"),
    ("投诉", "feedback"),
    ("我要投诉驿站", "feedback"),
    ("驿站卫生差", "feedback"),
    ("提意见", "feedback"),
    ("表扬一下驿站", "feedback"),
    ("complaint", "feedback"),
    # not understood: none of these may start anything
    ("今天天气不错", "none"),
    ("哈哈哈", "none"),
    ("👍", "none"),
    ("好的", "none"),
    ("谢谢", "none"),  # sounds like 歇歇 (rest): must not search
    ("驿站开没开", "nearby"),
    ("。。。", "none"),
    ("asdf", "none"),
    ("张三", "none"),
    ("吃了吗", "none"),
    ("明天见", "none"),
    ("ok", "none"),
    ("嗯嗯", "none"),
    ("师傅辛苦了", "none"),
    ("我在送货", "none"),
)
