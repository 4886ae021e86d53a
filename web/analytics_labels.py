"""The analytics page's words, one table per catalogue language, chosen as the search page chooses its own.

See docs/design.md#page-words.
"""

from __future__ import annotations

ENGLISH = {
    "title": "Search analytics",
    "period": "Period",
    "last_days": "Last {days} days",
    "all_time": "All time",
    "since_date": "Since {date} (UTC)",
    "searches": "Searches",
    "sessions": "Sessions",
    "click_through": "Click-through",
    "zero_share": "Zero results",
    "add_to_carts": "Add-to-carts",
    "purchases": "Purchases",
    "clicks": "Clicks",
    "chart_searches": "Searches per day",
    "chart_rates": "Click-through and zero results per day",
    "chart_positions": "Click-through by position",
    "position": "Position",
    "no_data": "No searches in this period",
    "top": "Top queries",
    "zero": "Queries that found nothing",
    "unclicked": "Queries that showed products {min} times or more and were never clicked",
    "query": "Query",
    "found_nothing": "Found nothing",
    "with_results": "Showed products",
    "none": "None in this period.",
    "fix": "Add a synonym or rule",
    "how": "How these figures are counted",
    "how_search": "A search is one page of results: turning to page 2 or clicking a facet is another search. "
    "Queries are grouped regardless of case and spaces. Days are UTC days.",
    "how_click_through": "Click-through: the share of searches with at least one click.",
    "how_zero": "Zero results: the share of searches that found no product.",
    "how_position": "Click-through at a position: of the searches that showed a result there, "
    "the share in which that result was clicked.",
}

CHINESE = {
    "title": "搜索分析",
    "period": "时间范围",
    "last_days": "最近 {days} 天",
    "all_time": "全部",
    "since_date": "自 {date} 起（UTC）",
    "searches": "搜索次数",
    "sessions": "会话数",
    "click_through": "点击率",
    "zero_share": "无结果率",
    "add_to_carts": "加购",
    "purchases": "购买",
    "clicks": "点击",
    "chart_searches": "每日搜索次数",
    "chart_rates": "每日点击率与无结果率",
    "chart_positions": "各位置点击率",
    "position": "位置",
    "no_data": "此期间没有搜索",
    "top": "热门搜索词",
    "zero": "无结果的搜索词",
    "unclicked": "展示商品 {min} 次以上却从未被点击的搜索词",
    "query": "搜索词",
    "found_nothing": "无结果次数",
    "with_results": "有结果次数",
    "none": "此期间没有。",
    "fix": "添加同义词或规则",
    "how": "指标说明",
    "how_search": "每返回一页结果算一次搜索：翻到第 2 页或点选筛选条件都算新的搜索。"
    "搜索词不区分大小写和空格。日期按 UTC 计算。",
    "how_click_through": "点击率：至少有一次点击的搜索所占的比例。",
    "how_zero": "无结果率：没有找到任何商品的搜索所占的比例。",
    "how_position": "某位置的点击率：在该位置展示了结果的搜索中，该结果被点击的比例。",
}

LABELS = {"en": ENGLISH, "zh": CHINESE}
