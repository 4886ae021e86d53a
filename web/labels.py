"""The search page's words, one table per catalogue language, and the browser locale that formats its numbers.

See docs/design.md#page-words.
"""

from __future__ import annotations

from typing import NamedTuple

ENGLISH = {
    "title": "Search the shop",
    "placeholder": "Search {products} products",
    "mode_label": "Search mode",
    "mode_hybrid": "hybrid",
    "mode_bm25": "bm25",
    "mode_dense": "dense",
    "mode_rerank": "rerank",
    "search": "Search",
    "filters": "Filters",
    "category": "Category",
    "brand": "Brand",
    "price": "Price",
    "price_min": "min",
    "price_max": "max",
    "price_min_label": "Lowest price",
    "price_max_label": "Highest price",
    "apply": "Apply",
    "pages": "Pages",
    "summary_page": "{first}–{last} of {total} results for “{query}” in {ms} ms",
    "summary_total": "{total} results for “{query}” in {ms} ms",
    "no_results": "No results for “{query}” ({ms} ms)",
    "spelling": "Showing results for {corrected}. Search instead for {typed}.",
    "price_chip": "price {min}–{max}",
    "remove": "Remove {label}",
    "error": "{detail}",
    "error_network": "The search service could not be reached; try again in a moment.",
    "understood": "What the search understood",
    "understood_price_range": "Price {min}–{max}",
    "understood_price_max": "Price ≤ {max}",
    "understood_price_min": "Price ≥ {min}",
    "understood_colour": "Colour: {value}",
    "understood_size": "Size: {value}",
    "understood_material": "Material: {value}",
    "understood_brand": "Brand: {value}",
    "understood_category": "Category: {value}",
    "understood_attribute": "{key}: {value}",
    "understood_filter": "Only products that match",
    "understood_boost": "Ranks higher; not a filter",
    "words_instead": "Search for the words instead",
    "relaxed": "No products meet all of {constraints}. Showing the closest.",
    "no_match": "Nothing matches “{query}”. Check the spelling, or try fewer or other words.",
    "suggestions": "Suggestions",
    "sort_label": "Sort by",
    "sort_relevance": "Relevance",
    "sort_price_asc": "Price: low to high",
    "sort_price_desc": "Price: high to low",
    "sort_rating_desc": "Rating",
    "back_to_search": "Back to search",
    "similar": "Similar products",
    "also_viewed": "Shoppers also viewed",
    "details": "Details",
    "in_stock": "In stock",
    "stock_count": "In stock: {count}",
    "out_of_stock": "Out of stock",
    "view_in_shop": "View in the shop",
    "not_found_title": "Product not found",
    "not_found": "This shop has no product with the id “{id}”.",
}

CHINESE = {
    "title": "商品搜索",
    "placeholder": "在 {products} 件商品中搜索",
    "mode_label": "搜索方式",
    "mode_hybrid": "综合",
    "mode_bm25": "关键词",
    "mode_dense": "语义",
    "mode_rerank": "精排",
    "search": "搜索",
    "filters": "筛选",
    "category": "分类",
    "brand": "品牌",
    "price": "价格",
    "price_min": "最低",
    "price_max": "最高",
    "price_min_label": "最低价",
    "price_max_label": "最高价",
    "apply": "确定",
    "pages": "分页",
    "summary_page": "“{query}”共 {total} 条结果，第 {first}–{last} 条，用时 {ms} 毫秒",
    "summary_total": "“{query}”共 {total} 条结果，用时 {ms} 毫秒",
    "no_results": "没有找到“{query}”的结果（用时 {ms} 毫秒）",
    "spelling": "已显示“{corrected}”的结果。仍然搜索“{typed}”。",
    "price_chip": "价格 {min}–{max}",
    "remove": "移除筛选条件：{label}",
    "error": "搜索出错：{detail}",
    "error_network": "无法连接搜索服务，请稍后重试。",
    "understood": "已识别的搜索条件",
    "understood_price_range": "价格 {min}–{max}",
    "understood_price_max": "价格 ≤ {max}",
    "understood_price_min": "价格 ≥ {min}",
    "understood_colour": "颜色：{value}",
    "understood_size": "规格：{value}",
    "understood_material": "材质：{value}",
    "understood_brand": "品牌：{value}",
    "understood_category": "分类：{value}",
    "understood_attribute": "{key}：{value}",
    "understood_filter": "只显示符合的商品",
    "understood_boost": "符合的商品排在前面，不作筛选",
    "words_instead": "按原词搜索",
    "relaxed": "没有同时满足{constraints}的商品，已显示最接近的结果。",
    "no_match": "没有与“{query}”匹配的商品。请检查拼写，或减少、更换搜索词。",
    "suggestions": "搜索建议",
    "sort_label": "排序方式",
    "sort_relevance": "相关度",
    "sort_price_asc": "价格从低到高",
    "sort_price_desc": "价格从高到低",
    "sort_rating_desc": "评分",
    "back_to_search": "返回搜索",
    "similar": "相似商品",
    "also_viewed": "看过此商品的顾客还看了",
    "details": "商品参数",
    "in_stock": "有货",
    "stock_count": "有货：{count} 件",
    "out_of_stock": "缺货",
    "view_in_shop": "去商店查看",
    "not_found_title": "未找到商品",
    "not_found": "本店没有编号为“{id}”的商品。",
}

# The search modes in the menu's order, the usual choice first.
PAGE_MODES = ("hybrid", "bm25", "dense", "rerank")
# The sort menu's choices as /api/search's `sort` takes them, with their label's key; "" is relevance (no `sort`).
PAGE_SORTS = (
    ("", "sort_relevance"),
    ("price:asc", "sort_price_asc"),
    ("price:desc", "sort_price_desc"),
    ("rating:desc", "sort_rating_desc"),
)


class PageLanguage(NamedTuple):
    code: str  # the index's language, as its manifest records it
    locale: str  # BCP 47, for <html lang> and the browser's Intl.NumberFormat
    labels: dict[str, str]


LANGUAGES = {
    "en": PageLanguage("en", "en", ENGLISH),
    "zh": PageLanguage("zh", "zh-CN", CHINESE),
}


def page_language(index_language: str) -> PageLanguage:
    """The page for an index's language: Chinese for a Chinese catalogue, English for any other."""
    return LANGUAGES.get(index_language, LANGUAGES["en"])


def count_text(count: int) -> str:
    """A count grouped in thousands as both pages' locales write it (en and zh-CN alike: 12,345)."""
    return f"{count:,}"
