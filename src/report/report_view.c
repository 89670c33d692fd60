/*
 * The view: what the email templates show, computed from a report model.
 * Values are defanged and shortened, times turned into local dates in the
 * report's time zone, numbers grouped, and colours, bar widths, change
 * arrows and padded text cells prepared, so that templates only place
 * them. The model itself (the JSON contract) is not changed.
 */
#include "report/report.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ioc/ioc.h"
#include "iocm_build.h"
#include "report/report_int.h"
#include "util/err.h"
#include "util/isotime.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

/* Longest value shown in a table cell before it is cut with an ellipsis:
 * HTML cells wrap, so a SHA-256 (64) is shown whole there; plain-text
 * lines should stay readable in about 100 columns, and the ID column
 * leads to the full value (`iocm ioc show ID`). */
#define VALUE_MAX_HTML 64
#define VALUE_MAX_TEXT 40
#define SOURCE_MAX     24
#define TEXT_BAR_WIDTH 24

/* Badge colours per severity (background, text), readable on light and
 * dark clients alike because both are explicit. */
static const struct {
    const char *bg;
    const char *fg;
    const char *bar; /* the severity's bars in charts */
} severity_colors[] = {
    [IOC_SEV_UNSET] = { "#E4E7EC", "#101828", "#98A2B3" },
    [IOC_SEV_LOW] = { "#D1E9FF", "#0B4A6F", "#2E90FA" },
    [IOC_SEV_MEDIUM] = { "#FEC84B", "#3D2A00", "#F79009" },
    [IOC_SEV_HIGH] = { "#E04F16", "#FFFFFF", "#E04F16" },
    [IOC_SEV_CRITICAL] = { "#912018", "#FFFFFF", "#912018" },
};

/* FIRST TLP 2.0 colours: the label in its colour on black. Indexed by
 * enum tlp. The descriptions are short paraphrases of the standard. */
static const struct {
    const char *color;
    const char *description;
} tlp_info[] = {
    [TLP_CLEAR] = { "#FFFFFF", "Recipients may share this without limit." },
    [TLP_GREEN] = { "#33FF00", "Recipients may share this within their "
                               "community, not publicly." },
    [TLP_AMBER] = { "#FFC000",
                    "Limited disclosure: recipients may share this on a "
                    "need-to-know basis within their organisation and its "
                    "clients." },
    [TLP_AMBER_STRICT] = { "#FFC000",
                           "Limited disclosure: recipients may share this "
                           "on a need-to-know basis within their "
                           "organisation only." },
    [TLP_RED] = { "#FF2B2B", "For the named recipients only: no further "
                             "disclosure." },
};

/* Change arrows: an increase of threats reads as bad. */
#define COLOR_UP      "#B42318"
#define COLOR_DOWN    "#067647"
#define COLOR_NEUTRAL "#475467"
#define COLOR_NEW     "#6941C6"

/* Table rows alternate backgrounds, so long rows stay easy to follow. */
static const char *row_bg(size_t index)
{
    return index % 2 ? "#F9FAFB" : "#FFFFFF";
}

static const char *const months[] = {
    "January", "February", "March",     "April",   "May",      "June",
    "July",    "August",   "September", "October", "November", "December",
};
static const char *const weekdays[] = {
    "Sunday",   "Monday", "Tuesday",  "Wednesday",
    "Thursday", "Friday", "Saturday",
};

static const char *jstr(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));

    return s ? s : "";
}

static int64_t jint(const json_t *o, const char *key)
{
    return (int64_t)json_integer_value(json_object_get(o, key));
}

static int64_t jtime(const json_t *o, const char *key)
{
    int64_t t = 0;

    if (isotime_parse(jstr(o, key), &t, NULL) < 0)
        return 0;
    return t;
}

static void set_str(json_t *o, const char *key, const char *s)
{
    json_object_set_new(o, key, json_string(s));
}

static void set_buf(json_t *o, const char *key, struct strbuf *sb)
{
    json_object_set_new(o, key, json_string(sb->buf));
    strbuf_reset(sb);
}

/* 1234567 -> "1,234,567". */
static void add_count(struct strbuf *sb, int64_t n)
{
    char digits[32];
    int len, i;

    if (n < 0) {
        strbuf_addch(sb, '-');
        n = -n;
    }
    len = snprintf(digits, sizeof(digits), "%lld", (long long)n);
    for (i = 0; i < len; i++) {
        if (i && (len - i) % 3 == 0)
            strbuf_addch(sb, ',');
        strbuf_addch(sb, digits[i]);
    }
}

static json_t *count_text(int64_t n)
{
    struct strbuf sb = STRBUF_INIT;
    json_t *j;

    add_count(&sb, n);
    j = json_string(sb.buf);
    strbuf_release(&sb);
    return j;
}

/* A percentage of the model (a one-decimal real, or null) as text, or the
 * dash when there is none. The tenths are rounded back from the double so
 * 66.7 prints as "66.7", never "66.699999". */
static void add_percent(struct strbuf *sb, const json_t *pct, bool is_signed)
{
    double x;
    long long tenths;

    if (!json_is_number(pct)) {
        strbuf_addstr(sb, "\xe2\x80\x94"); /* em dash */
        return;
    }
    x = json_number_value(pct);
    tenths = (long long)(x * 10.0 + (x < 0 ? -0.5 : 0.5));
    if (tenths < 0) {
        strbuf_addstr(sb, "\xe2\x88\x92"); /* minus sign */
        tenths = -tenths;
    } else if (is_signed && tenths > 0) {
        strbuf_addch(sb, '+');
    }
    strbuf_addf(sb, "%lld.%lld%%", tenths / 10, tenths % 10);
}

static json_t *percent_text(const json_t *pct)
{
    struct strbuf sb = STRBUF_INIT;
    json_t *j;

    add_percent(&sb, pct, false);
    j = json_string(sb.buf);
    strbuf_release(&sb);
    return j;
}

/*
 * A week-over-week change: {arrow, text, color, line}. A change from zero
 * (null in the model) shows as "new" when something happened this week,
 * and as a dash when both weeks are empty.
 */
static json_t *change_view(const json_t *change, int64_t now)
{
    struct strbuf text = STRBUF_INIT, line = STRBUF_INIT;
    const char *arrow = "", *color = COLOR_NEUTRAL;
    json_t *v;

    if (json_is_number(change)) {
        double x = json_number_value(change);

        if (x > 0) {
            arrow = "\xe2\x96\xb2"; /* ▲ */
            color = COLOR_UP;
        } else if (x < 0) {
            arrow = "\xe2\x96\xbc"; /* ▼ */
            color = COLOR_DOWN;
        }
        add_percent(&text, change, true);
    } else if (now > 0) {
        strbuf_addstr(&text, "new");
        color = COLOR_NEW;
    } else {
        strbuf_addstr(&text, "\xe2\x80\x94");
    }
    if (*arrow)
        strbuf_addf(&line, "%s ", arrow);
    strbuf_addbuf(&line, &text);
    v = json_pack("{s:s, s:s, s:s, s:s}", "arrow", arrow, "text", text.buf,
                  "color", color, "line", line.buf);
    strbuf_release(&text);
    strbuf_release(&line);
    return v;
}

enum time_style {
    TIME_SHORT,   /* 3 Dec 14:05 */
    TIME_FULL,    /* 4 Dec 2026, 08:00 */
    TIME_DATE,    /* 4 December 2026 */
    TIME_WEEKDAY, /* Friday, 4 December 2026 */
};

static void add_local_time(struct strbuf *sb, int64_t t, const char *tz,
                           enum time_style style)
{
    struct tm tm;
    const char *mon;

    tz_localtime(t, tz, &tm);
    mon = months[tm.tm_mon];
    switch (style) {
    case TIME_SHORT:
        strbuf_addf(sb, "%d %.3s %02d:%02d", tm.tm_mday, mon, tm.tm_hour,
                    tm.tm_min);
        break;
    case TIME_FULL:
        strbuf_addf(sb, "%d %.3s %d, %02d:%02d", tm.tm_mday, mon,
                    tm.tm_year + 1900, tm.tm_hour, tm.tm_min);
        break;
    case TIME_WEEKDAY:
        strbuf_addf(sb, "%s, ", weekdays[tm.tm_wday]);
        /* fall through */
    case TIME_DATE:
        strbuf_addf(sb, "%d %s %d", tm.tm_mday, mon, tm.tm_year + 1900);
        break;
    }
}

/* "UTC+01:00" for the zone's offset at t. */
static void add_utc_offset(struct strbuf *sb, int64_t t, const char *tz)
{
    struct tm tm;
    long off;

    tz_localtime(t, tz, &tm);
    off = tm.tm_gmtoff;
    strbuf_addf(sb, "UTC%c%02ld:%02ld", off < 0 ? '-' : '+', labs(off) / 3600,
                labs(off) % 3600 / 60);
}

/* "in 2d 5h", "in 3d", "in 5h 12m", "in 12m". */
static void add_time_left(struct strbuf *sb, int64_t secs)
{
    int64_t d = secs / 86400, h = secs % 86400 / 3600, m = secs % 3600 / 60;

    if (d && h)
        strbuf_addf(sb, "in %lldd %lldh", (long long)d, (long long)h);
    else if (d)
        strbuf_addf(sb, "in %lldd", (long long)d);
    else if (h)
        strbuf_addf(sb, "in %lldh %lldm", (long long)h, (long long)m);
    else
        strbuf_addf(sb, "in %lldm", (long long)(m ? m : 1));
}

/* Appends s cut to at most max characters, the last one an ellipsis when
 * it had to be cut; never splits a UTF-8 sequence. */
static void add_shortened(struct strbuf *sb, const char *s, size_t max)
{
    size_t chars = 0;
    const char *p;

    if (report_text_width(s) <= max) {
        strbuf_addstr(sb, s);
        return;
    }
    for (p = s; *p; p++) {
        if (((unsigned char)*p & 0xC0) != 0x80 && ++chars == max)
            break;
    }
    strbuf_add(sb, s, (size_t)(p - s));
    strbuf_addstr(sb, "\xe2\x80\xa6"); /* … */
}

static enum ioc_severity severity_of(const char *name)
{
    enum ioc_severity sev = IOC_SEV_UNSET;

    if (ioc_severity_parse(name, &sev, NULL) < 0)
        return IOC_SEV_UNSET;
    return sev;
}

static enum tlp tlp_of(const char *name)
{
    enum tlp tlp = TLP_CLEAR;

    if (tlp_parse(name, &tlp, NULL) < 0 || tlp < TLP_CLEAR)
        return TLP_CLEAR;
    return tlp;
}

/* Severity badge members: severity, sev_label (upper case), sev_bg,
 * sev_fg, sev_bar. */
static void set_severity(json_t *o, const char *name)
{
    enum ioc_severity sev = severity_of(name);
    char upper[16];
    size_t i;

    for (i = 0; name[i] && i + 1 < sizeof(upper); i++)
        upper[i] =
            (char)(name[i] >= 'a' && name[i] <= 'z' ? name[i] - 32 : name[i]);
    upper[i] = '\0';
    set_str(o, "severity", name);
    set_str(o, "sev_label", upper);
    set_str(o, "sev_bg", severity_colors[sev].bg);
    set_str(o, "sev_fg", severity_colors[sev].fg);
    set_str(o, "sev_bar", severity_colors[sev].bar);
}

/* One listed indicator as table cells. */
static json_t *item_row(const json_t *item, const struct report_settings *s,
                        int64_t at, size_t index)
{
    struct strbuf sb = STRBUF_INIT, value = STRBUF_INIT;
    const char *type = jstr(item, "type");
    const char *source = jstr(item, "source");
    enum ioc_type t;
    enum tlp tlp = tlp_of(jstr(item, "tlp"));
    int64_t expires = jtime(item, "expires_at");
    json_t *row = json_object();

    if (s->defang && ioc_type_parse(type, &t, NULL) == 0)
        ioc_defang(t, jstr(item, "value"), &value);
    else
        strbuf_addstr(&value, jstr(item, "value"));

    json_object_set_new(row, "id", json_integer(jint(item, "id")));
    strbuf_addf(&sb, "%lld", (long long)jint(item, "id"));
    set_buf(row, "id_text", &sb);
    add_local_time(&sb, jtime(item, "created_at"), s->timezone, TIME_SHORT);
    set_buf(row, "created", &sb);
    if (expires) {
        add_local_time(&sb, expires, s->timezone, TIME_SHORT);
        set_buf(row, "expires", &sb);
        add_time_left(&sb, expires - at);
        set_buf(row, "expires_in", &sb);
    }
    set_severity(row, jstr(item, "severity"));
    set_str(row, "type", type);
    set_str(row, "value_full", value.buf);
    add_shortened(&sb, value.buf, VALUE_MAX_HTML);
    set_buf(row, "value", &sb);
    add_shortened(&sb, value.buf, VALUE_MAX_TEXT);
    set_buf(row, "value_text", &sb);
    add_shortened(&sb, *source ? source : "unknown", SOURCE_MAX);
    set_buf(row, "source", &sb);
    set_str(row, "tlp", tlp_name(tlp));
    strbuf_addf(&sb, "TLP:%s", tlp_name(tlp));
    set_buf(row, "tlp_text", &sb);
    set_str(row, "tlp_color", tlp_info[tlp].color);
    set_str(row, "row_bg", row_bg(index));
    strbuf_release(&sb);
    strbuf_release(&value);
    return row;
}

static const struct report_text_col item_cols[] = {
    { "id_text", "ID", true },         { "created", "Created", false },
    { "severity", "Severity", false }, { "type", "Type", false },
    { "tlp", "TLP", false },           { "value_text", "Value", false },
    { "source", "Source", false },
};

static const struct report_text_col expiring_cols[] = {
    { "id_text", "ID", true },        { "expires", "Expires", false },
    { "expires_in", "In", false },    { "severity", "Severity", false },
    { "type", "Type", false },        { "tlp", "TLP", false },
    { "value_text", "Value", false },
};

/*
 * A listed section: {total, total_text, rows, has_rows, text, more}. more
 * says how many of total are not listed, when some are not.
 */
static json_t *item_section(const json_t *list, const char *total_key,
                            const struct report_settings *s, int64_t at,
                            bool is_expiring)
{
    json_t *items = json_object_get(list, "items");
    size_t n = json_array_size(items);
    int64_t total = jint(list, total_key);
    json_t *rows = json_array(), *sec;

    for (size_t i = 0; i < n; i++)
        json_array_append_new(rows,
                              item_row(json_array_get(items, i), s, at, i));
    sec = json_object();
    json_object_set_new(sec, "total_text", count_text(total));
    json_object_set_new(sec, "has_rows", json_boolean(n > 0));
    json_object_set_new(
        sec, "text",
        is_expiring
            ? report_text_table(expiring_cols, ARRAY_SIZE(expiring_cols), rows)
            : report_text_table(item_cols, ARRAY_SIZE(item_cols), rows));
    if ((int64_t)n < total) {
        struct strbuf sb = STRBUF_INIT;

        strbuf_addf(&sb, "Showing %zu of ", n);
        add_count(&sb, total);
        strbuf_addstr(&sb, ".");
        set_buf(sec, "more", &sb);
        strbuf_release(&sb);
    }
    json_object_set_new(sec, "rows", rows);
    return sec;
}

static const struct report_text_col bar_cols[] = {
    { "name", "", false },
    { "bar_text", "", false },
    { "count_text", "Count", true },
    { "percent_text", "Share", true },
};

#define COLOR_BAR      "#2E90FA"
#define COLOR_BAR_LAST "#98A2B3" /* last week's bars, behind this week's */

/*
 * One HTML bar of n on a scale whose longest bar is max, for the partial
 * email/bar.html: {fill, rest, has_fill, has_rest, color}. fill and rest
 * are integer percentages of the bar's width (anything above zero shows
 * at least 1%); a cell of width 0 would still show in some clients, hence
 * has_fill and has_rest.
 */
static json_t *bar(int64_t n, int64_t max, const char *color)
{
    int64_t fill = max > 0 ? (n * 100 + max / 2) / max : 0;

    if (n > 0 && fill < 1)
        fill = 1;
    return json_pack("{s:I, s:I, s:b, s:b, s:s}", "fill", (json_int_t)fill,
                     "rest", (json_int_t)(100 - fill), "has_fill", fill > 0,
                     "has_rest", fill < 100, "color", color);
}

/* Horizontal bars for [{name_key, count, percent}], scaled to the largest
 * count so the longest bar spans the column, and their text form. */
static json_t *bar_section(const json_t *arr, const char *name_key,
                           const char *header)
{
    struct strbuf sb = STRBUF_INIT;
    struct report_text_col cols[ARRAY_SIZE(bar_cols)];
    size_t nrows = json_array_size(arr);
    json_t *rows = json_array(), *sec;
    int64_t max = 0;

    for (size_t i = 0; i < nrows; i++)
        if (jint(json_array_get(arr, i), "count") > max)
            max = jint(json_array_get(arr, i), "count");
    for (size_t i = 0; i < nrows; i++) {
        const json_t *e = json_array_get(arr, i);
        int64_t n = jint(e, "count");
        json_t *row = json_object();

        set_str(row, "name", jstr(e, name_key));
        json_object_set_new(row, "count_text", count_text(n));
        json_object_set_new(row, "percent_text",
                            percent_text(json_object_get(e, "percent")));
        json_object_set_new(row, "bar", bar(n, max, COLOR_BAR));
        report_text_bar(&sb, n, max, TEXT_BAR_WIDTH);
        set_buf(row, "bar_text", &sb);
        set_str(row, "row_bg", row_bg(i));
        json_array_append_new(rows, row);
    }
    memcpy(cols, bar_cols, sizeof(cols));
    cols[0].header = header;
    sec = json_object();
    json_object_set_new(sec, "has_rows", json_boolean(nrows > 0));
    json_object_set_new(sec, "text",
                        report_text_table(cols, ARRAY_SIZE(cols), rows));
    json_object_set_new(sec, "rows", rows);
    strbuf_release(&sb);
    return sec;
}

static json_t *card(const char *label, json_t *value, const char *detail,
                    json_t *change)
{
    json_t *c = json_pack("{s:s, s:o, s:s}", "label", label, "value", value,
                          "detail", detail);

    if (change)
        json_object_set_new(c, "change", change);
    return c;
}

static const struct report_text_col card_cols[] = {
    { "label", "", false },
    { "value", "", true },
    { "detail", "", false },
};

/* Cards render as a one-row table in HTML and as "label value detail"
 * lines in text; the text detail carries the change when there is one. */
static json_t *cards_text(json_t *cards)
{
    json_t *rows = json_array(), *table;

    for (size_t i = 0; i < json_array_size(cards); i++) {
        const json_t *c = json_array_get(cards, i);
        json_t *row = json_deep_copy(c);
        json_t *change = json_object_get(c, "change");

        if (change) {
            struct strbuf sb = STRBUF_INIT;

            strbuf_addf(&sb, "%s (%s vs last week)", jstr(c, "detail"),
                        jstr(change, "line"));
            set_buf(row, "detail", &sb);
            strbuf_release(&sb);
        }
        json_array_append_new(rows, row);
    }
    table = report_text_table(card_cols, ARRAY_SIZE(card_cols), rows);
    json_decref(rows);
    return table;
}

static void enrichment_card(json_t *cards, const json_t *enrichment)
{
    struct strbuf sb = STRBUF_INIT;
    int64_t attempted = jint(enrichment, "attempted");

    if (attempted) {
        add_count(&sb, jint(enrichment, "succeeded"));
        strbuf_addstr(&sb, " of ");
        add_count(&sb, attempted);
        strbuf_addstr(&sb, " lookups succeeded");
    } else {
        strbuf_addstr(&sb, "no lookups");
    }
    json_array_append_new(
        cards, card("Enrichment",
                    percent_text(json_object_get(enrichment, "success_rate")),
                    sb.buf, NULL));
    strbuf_release(&sb);
}

static json_t *enrichment_view(const json_t *e)
{
    return json_pack(
        "{s:o, s:o, s:o, s:o, s:o}", "attempted_text",
        count_text(jint(e, "attempted")), "succeeded_text",
        count_text(jint(e, "succeeded")), "failed_text",
        count_text(jint(e, "attempted") - jint(e, "succeeded")), "rate_text",
        percent_text(json_object_get(e, "success_rate")), "coverage_text",
        percent_text(json_object_get(e, "coverage")));
}

static void daily_view(const json_t *model, const struct report_settings *s,
                       int64_t at, json_t *view)
{
    const json_t *new_iocs = json_object_get(model, "new_iocs");
    const json_t *high = json_object_get(model, "high_severity");
    json_t *cards = json_array();

    json_array_append_new(cards,
                          card("New IOCs", count_text(jint(new_iocs, "total")),
                               "in the last 24 hours", NULL));
    json_array_append_new(cards, card("Active IOCs",
                                      count_text(jint(model, "active_total")),
                                      "at report time", NULL));
    json_array_append_new(cards, card("High / critical",
                                      count_text(jint(high, "total")),
                                      "new in the last 24 hours", NULL));
    enrichment_card(cards, json_object_get(model, "enrichment"));
    json_object_set_new(view, "cards_text", cards_text(cards));
    json_object_set_new(view, "cards", cards);
    json_object_set_new(view, "new_iocs",
                        item_section(new_iocs, "total", s, at, false));
    json_object_set_new(view, "high_severity",
                        item_section(high, "total", s, at, false));
    json_object_set_new(view, "types",
                        bar_section(json_object_get(model, "type_distribution"),
                                    "type", "Type"));
    json_object_set_new(view, "enrichment",
                        enrichment_view(json_object_get(model, "enrichment")));
}

static const struct report_text_col trend_cols[] = {
    { "severity", "Severity", false },  { "this_text", "This week", true },
    { "last_text", "Last week", true }, { "change_text", "Change", true },
    { "bar_text", "", false },
};

static const struct report_text_col user_cols[] = {
    { "username", "User", false },
    { "actions_text", "Actions", true },
    { "created_text", "IOCs created", true },
    { "by_action_text", "Actions by kind", false },
};

/* Severity trends: bars for this week and last week on one scale. */
static json_t *trends_view(const json_t *trends)
{
    struct strbuf sb = STRBUF_INIT;
    size_t nrows = json_array_size(trends);
    json_t *rows = json_array(), *sec;
    int64_t max = 0;

    for (size_t i = 0; i < nrows; i++) {
        const json_t *e = json_array_get(trends, i);

        if (jint(e, "this_week") > max)
            max = jint(e, "this_week");
        if (jint(e, "last_week") > max)
            max = jint(e, "last_week");
    }
    for (size_t i = 0; i < nrows; i++) {
        static const char *const which[] = { "this", "last" };
        const json_t *e = json_array_get(trends, i);
        json_t *row = json_object(), *change;

        set_severity(row, jstr(e, "severity"));
        for (int w = 0; w < 2; w++) {
            int64_t n = jint(e, w ? "last_week" : "this_week");
            json_t *b = bar(n, max, w ? COLOR_BAR_LAST : jstr(row, "sev_bar"));
            char key[16];

            snprintf(key, sizeof(key), "%s_text", which[w]);
            json_object_set_new(row, key, count_text(n));
            json_object_set_new(b, "text", count_text(n));
            json_object_set_new(b, "is_this_week", json_boolean(!w));
            json_object_set_new(row, which[w], b);
        }
        change =
            change_view(json_object_get(e, "change"), jint(e, "this_week"));
        set_str(row, "change_text", jstr(change, "line"));
        json_object_set_new(row, "change", change);
        report_text_bar(&sb, jint(e, "this_week"), max, TEXT_BAR_WIDTH);
        set_buf(row, "bar_text", &sb);
        set_str(row, "row_bg", row_bg(i));
        json_array_append_new(rows, row);
    }
    sec = json_object();
    json_object_set_new(sec, "has_rows", json_boolean(nrows > 0));
    json_object_set_new(
        sec, "text",
        report_text_table(trend_cols, ARRAY_SIZE(trend_cols), rows));
    json_object_set_new(sec, "rows", rows);
    strbuf_release(&sb);
    return sec;
}

static json_t *users_view(const json_t *activity)
{
    struct strbuf sb = STRBUF_INIT;
    const json_t *users = json_object_get(activity, "users");
    size_t nrows = json_array_size(users);
    json_t *rows = json_array(), *sec;

    for (size_t i = 0; i < nrows; i++) {
        const json_t *u = json_array_get(users, i);
        json_t *by_action = json_object_get(u, "by_action");
        json_t *row = json_object();

        set_str(row, "username", jstr(u, "username"));
        json_object_set_new(row, "actions_text",
                            count_text(jint(u, "actions")));
        json_object_set_new(row, "created_text",
                            count_text(jint(u, "iocs_created")));
        for (void *it = json_object_iter(by_action); it;
             it = json_object_iter_next(by_action, it)) {
            if (sb.len)
                strbuf_addstr(&sb, ", ");
            strbuf_addf(
                &sb, "%s %lld", json_object_iter_key(it),
                (long long)json_integer_value(json_object_iter_value(it)));
        }
        set_buf(row, "by_action_text", &sb);
        set_str(row, "row_bg", row_bg(i));
        json_array_append_new(rows, row);
    }
    sec = json_object();
    json_object_set_new(sec, "active_users_text",
                        count_text(jint(activity, "active_users")));
    json_object_set_new(sec, "total_actions_text",
                        count_text(jint(activity, "total_actions")));
    json_object_set_new(sec, "has_rows", json_boolean(nrows > 0));
    json_object_set_new(
        sec, "text", report_text_table(user_cols, ARRAY_SIZE(user_cols), rows));
    json_object_set_new(sec, "rows", rows);
    strbuf_release(&sb);
    return sec;
}

static int64_t trend_count(const json_t *trends, const char *severity,
                           const char *week)
{
    for (size_t i = 0; i < json_array_size(trends); i++) {
        const json_t *e = json_array_get(trends, i);

        if (strcmp(jstr(e, "severity"), severity) == 0)
            return jint(e, week);
    }
    return 0;
}

static void weekly_view(const json_t *model, const struct report_settings *s,
                        int64_t at, json_t *view)
{
    const json_t *new_iocs = json_object_get(model, "new_iocs");
    const json_t *trends = json_object_get(model, "severity_trends");
    int64_t hi_now = trend_count(trends, "critical", "this_week") +
                     trend_count(trends, "high", "this_week");
    int64_t hi_before = trend_count(trends, "critical", "last_week") +
                        trend_count(trends, "high", "last_week");
    int64_t new_now = jint(new_iocs, "this_week");
    json_t *cards = json_array(), *hi_change;

    hi_change = report_change(hi_now, hi_before);
    json_array_append_new(
        cards, card("New IOCs", count_text(new_now), "this week",
                    change_view(json_object_get(new_iocs, "change_percent"),
                                new_now)));
    json_array_append_new(cards, card("Active IOCs",
                                      count_text(jint(model, "active_total")),
                                      "at report time", NULL));
    json_array_append_new(cards, card("High / critical", count_text(hi_now),
                                      "new this week",
                                      change_view(hi_change, hi_now)));
    json_decref(hi_change);
    enrichment_card(cards, json_object_get(model, "enrichment"));
    json_object_set_new(view, "cards_text", cards_text(cards));
    json_object_set_new(view, "cards", cards);
    json_object_set_new(
        view, "new_iocs",
        json_pack(
            "{s:o, s:o, s:o}", "this_week_text", count_text(new_now),
            "last_week_text", count_text(jint(new_iocs, "last_week")), "change",
            change_view(json_object_get(new_iocs, "change_percent"), new_now)));
    json_object_set_new(view, "trends", trends_view(trends));
    json_object_set_new(
        view, "top_types",
        bar_section(json_object_get(model, "top_types"), "type", "Type"));
    json_object_set_new(
        view, "top_sources",
        bar_section(json_object_get(model, "top_sources"), "source", "Source"));
    json_object_set_new(view, "users",
                        users_view(json_object_get(model, "user_activity")));
    json_object_set_new(
        view, "expiring",
        item_section(json_object_get(model, "expiring"), "total", s, at, true));
    json_object_set_new(view, "enrichment",
                        enrichment_view(json_object_get(model, "enrichment")));
}

/* The banner, the withheld note and the header lines both kinds share. */
static void common_view(const json_t *model, const struct report_settings *s,
                        enum report_kind kind, int64_t start, int64_t at,
                        json_t *view)
{
    const json_t *tlp = json_object_get(model, "tlp");
    enum tlp label = tlp_of(jstr(tlp, "label"));
    enum tlp max = tlp_of(jstr(tlp, "max"));
    int64_t withheld = jint(tlp, "withheld");
    struct strbuf sb = STRBUF_INIT;

    report_subject(model, s, &sb, NULL);
    set_buf(view, "subject", &sb);
    set_str(view, "title",
            kind == REPORT_DAILY ? "Daily report" : "Weekly report");
    if (kind == REPORT_DAILY) {
        add_local_time(&sb, at, s->timezone, TIME_WEEKDAY);
    } else {
        strbuf_addstr(&sb, "Week of ");
        add_local_time(&sb, start, s->timezone, TIME_DATE);
    }
    set_buf(view, "period", &sb);
    add_local_time(&sb, start, s->timezone, TIME_SHORT);
    strbuf_addstr(&sb, " \xe2\x80\x93 "); /* en dash */
    add_local_time(&sb, at, s->timezone, TIME_SHORT);
    set_buf(view, "window_text", &sb);
    set_str(view, "timezone",
            s->timezone && *s->timezone ? s->timezone : "UTC");
    add_utc_offset(&sb, at, s->timezone);
    set_buf(view, "utc_offset", &sb);
    add_local_time(&sb, jtime(model, "generated_at"), s->timezone, TIME_FULL);
    set_buf(view, "generated", &sb);
    if (s->hostname && *s->hostname)
        set_str(view, "hostname", s->hostname);
    if (s->public_url && *s->public_url)
        set_str(view, "public_url", s->public_url);
    set_str(view, "version", IOCM_VERSION);
    set_str(view, "recipients_key",
            kind == REPORT_DAILY ? "DAILY_REPORT_RECIPIENTS"
                                 : "WEEKLY_REPORT_RECIPIENTS");
    set_str(view, "config_file",
            s->config_file && *s->config_file ? s->config_file : ".env");
    json_object_set_new(view, "defanged", json_boolean(s->defang));
    json_object_set_new(view, "active_total_text",
                        count_text(jint(model, "active_total")));

    strbuf_addf(&sb, "TLP:%s", tlp_name(label));
    json_object_set_new(view, "tlp",
                        json_pack("{s:s, s:s, s:s, s:s}", "label",
                                  tlp_name(label), "text", sb.buf, "color",
                                  tlp_info[label].color, "description",
                                  tlp_info[label].description));
    strbuf_reset(&sb);
    if (withheld > 0) {
        add_count(&sb, withheld);
        strbuf_addf(&sb, " %s above TLP:%s withheld",
                    withheld == 1 ? "indicator" : "indicators", tlp_name(max));
        set_buf(view, "withheld", &sb);
    }
    strbuf_release(&sb);
}

/* The mail clients' preview line: the headline numbers. */
static void preheader(json_t *view)
{
    const json_t *cards = json_object_get(view, "cards");
    struct strbuf sb = STRBUF_INIT;

    for (size_t i = 0; i < json_array_size(cards); i++) {
        const json_t *c = json_array_get(cards, i);

        if (i)
            strbuf_addstr(&sb, " \xc2\xb7 "); /* middle dot */
        strbuf_addf(&sb, "%s: %s", jstr(c, "label"), jstr(c, "value"));
    }
    set_buf(view, "preheader", &sb);
    strbuf_release(&sb);
}

int report_view(const json_t *model, const struct report_settings *s,
                json_t **out, struct iocm_err *err)
{
    enum report_kind kind;
    int64_t start, at;
    json_t *ctx, *view;
    int rc;

    *out = NULL;
    rc = report_model_window(model, &kind, &start, &at, err);
    if (rc < 0)
        return rc;
    view = json_object();
    common_view(model, s, kind, start, at, view);
    if (kind == REPORT_DAILY)
        daily_view(model, s, at, view);
    else
        weekly_view(model, s, at, view);
    preheader(view);
    /* A shallow copy: the model's members are shared, never changed. */
    ctx = json_copy((json_t *)model);
    json_object_set_new(ctx, "view", view);
    *out = ctx;
    return 0;
}
