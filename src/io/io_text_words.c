/*
 * The word lists of text extraction: the top-level domains a name must end
 * in to be taken for a domain, and the file extensions a name must end in
 * to be taken for a file name. Both keep prose and code ("e.g.",
 * "Node.js", "README.md", "array.map") from turning into indicators.
 */
#include "io/io_int.h"

#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

/*
 * Country-code TLDs and the generic TLDs seen in the wild, sorted. Left
 * out on purpose: ccTLDs that technical prose mostly uses as file
 * extensions (md, py, sh, rs, ps, am, ac, so, mk), generic TLDs that are
 * everyday words in code (map, date, run, page, show, style ...), brand
 * TLDs (windows, office ...), and zip and mov, which are file names far
 * more often than hosts. A defanged name is a domain whatever its TLD.
 * "example" (RFC 2606) is in: documentation and tests use it.
 */
static const char *const tlds[] = {
    "academy",      "accountant",  "ad",         "ae",          "aero",
    "af",           "ag",          "agency",     "ai",          "al",
    "ao",           "app",         "aq",         "ar",          "arpa",
    "art",          "as",          "asia",       "at",          "au",
    "autos",        "aw",          "ax",         "az",          "ba",
    "bar",          "bb",          "bd",         "be",          "beauty",
    "berlin",       "best",        "bet",        "bf",          "bg",
    "bh",           "bi",          "bid",        "bio",         "biz",
    "bj",           "blog",        "bm",         "bn",          "bo",
    "boats",        "bond",        "br",         "bs",          "bt",
    "business",     "buzz",        "bw",         "by",          "bz",
    "ca",           "cam",         "capital",    "casa",        "cash",
    "cat",          "cc",          "cd",         "center",      "cf",
    "cfd",          "cg",          "ch",         "chat",        "ci",
    "city",         "ck",          "cl",         "click",       "cloud",
    "club",         "cm",          "cn",         "co",          "com",
    "company",      "consulting",  "cool",       "coop",        "cr",
    "cricket",      "cu",          "cv",         "cw",          "cx",
    "cy",           "cyou",        "cz",         "de",          "design",
    "dev",          "digital",     "directory",  "dj",          "dk",
    "dm",           "do",          "domains",    "download",    "dz",
    "earth",        "ec",          "eco",        "edu",         "ee",
    "eg",           "email",       "energy",     "enterprises", "equipment",
    "er",           "es",          "et",         "eu",          "events",
    "example",      "exchange",    "expert",     "express",     "faith",
    "fi",           "film",        "finance",    "fitness",     "fj",
    "fk",           "fm",          "fo",         "football",    "foundation",
    "fr",           "fun",         "fund",       "fyi",         "ga",
    "game",         "games",       "gd",         "gdn",         "ge",
    "gf",           "gg",          "gh",         "gi",          "gl",
    "global",       "gm",          "gmbh",       "gn",          "golf",
    "gov",          "gp",          "gq",         "gr",          "gratis",
    "gripe",        "group",       "gs",         "gt",          "gu",
    "guide",        "guru",        "gw",         "gy",          "hair",
    "healthcare",   "hk",          "hm",         "hn",          "hockey",
    "holdings",     "holiday",     "homes",      "horse",       "hospital",
    "host",         "hosting",     "house",      "hr",          "ht",
    "hu",           "icu",         "id",         "ie",          "il",
    "im",           "immo",        "in",         "inc",         "industries",
    "info",         "ink",         "institute",  "int",         "international",
    "investments",  "io",          "iq",         "ir",          "is",
    "ist",          "istanbul",    "it",         "je",          "jetzt",
    "jewelry",      "jm",          "jo",         "jobs",        "jp",
    "juegos",       "kaufen",      "ke",         "kg",          "kh",
    "ki",           "kim",         "kitchen",    "kiwi",        "km",
    "kn",           "kp",          "kr",         "kw",          "ky",
    "kz",           "la",          "land",       "lat",         "lawyer",
    "lb",           "lc",          "lease",      "legal",       "lgbt",
    "li",           "life",        "lighting",   "limited",     "limo",
    "link",         "live",        "lk",         "llc",         "loan",
    "loans",        "lol",         "london",     "love",        "lr",
    "ls",           "lt",          "ltd",        "ltda",        "lu",
    "luxury",       "lv",          "ly",         "ma",          "maison",
    "management",   "market",      "marketing",  "mba",         "mc",
    "me",           "media",       "memorial",   "men",         "mg",
    "mh",           "mil",         "ml",         "mm",          "mn",
    "mo",           "mobi",        "moda",       "moe",         "mom",
    "money",        "monster",     "mortgage",   "moscow",      "motorcycles",
    "movie",        "mp",          "mq",         "mr",          "ms",
    "mt",           "mu",          "museum",     "mv",          "mw",
    "mx",           "my",          "mz",         "na",          "navy",
    "nc",           "ne",          "net",        "network",     "news",
    "nf",           "ng",          "ngo",        "ni",          "ninja",
    "nl",           "no",          "np",         "nr",          "nu",
    "nyc",          "nz",          "om",         "ong",         "onion",
    "online",       "ooo",         "org",        "ovh",         "pa",
    "paris",        "partners",    "parts",      "party",       "pe",
    "pet",          "pf",          "pg",         "ph",          "pharmacy",
    "photo",        "photography", "photos",     "pics",        "pictures",
    "pizza",        "pk",          "pl",         "place",       "plumbing",
    "pm",           "pn",          "poker",      "porn",        "post",
    "pr",           "press",       "pro",        "promo",       "properties",
    "property",     "pt",          "pub",        "pw",          "qa",
    "qpon",         "quebec",      "quest",      "racing",      "radio",
    "re",           "realty",      "recipes",    "rehab",       "reise",
    "reisen",       "rent",        "rentals",    "repair",      "report",
    "rest",         "review",      "rip",        "ro",          "rocks",
    "ru",           "ruhr",        "rw",         "sa",          "sale",
    "salon",        "sarl",        "sb",         "sbs",         "sc",
    "scholarships", "school",      "schule",     "science",     "scot",
    "sd",           "se",          "security",   "server",      "services",
    "sexy",         "sg",          "shoes",      "shop",        "shopping",
    "si",           "singles",     "site",       "sk",          "ski",
    "skin",         "sl",          "sm",         "sn",          "soccer",
    "social",       "software",    "solar",      "solutions",   "spa",
    "space",        "sport",       "sr",         "ss",          "st",
    "store",        "stream",      "studio",     "su",          "sucks",
    "supplies",     "supply",      "support",    "surf",        "surgery",
    "sv",           "swiss",       "sx",         "sy",          "systems",
    "sz",           "tattoo",      "tax",        "taxi",        "tc",
    "td",           "team",        "tech",       "technology",  "tel",
    "tennis",       "tf",          "tg",         "th",          "theater",
    "tickets",      "tienda",      "tips",       "tj",          "tk",
    "tl",           "tm",          "tn",         "to",          "today",
    "tokyo",        "tools",       "top",        "town",        "toys",
    "tr",           "trade",       "training",   "travel",      "tt",
    "tube",         "tv",          "tw",         "tz",          "ua",
    "ug",           "uk",          "university", "uno",         "us",
    "uy",           "uz",          "va",         "vacations",   "vc",
    "ve",           "ventures",    "vet",        "vg",          "vi",
    "viajes",       "video",       "villas",     "vin",         "vip",
    "vision",       "vn",          "vodka",      "vote",        "voting",
    "voyage",       "vu",          "wales",      "wang",        "watches",
    "webcam",       "website",     "wedding",    "wf",          "wien",
    "wiki",         "win",         "wine",       "work",        "works",
    "world",        "ws",          "wtf",        "xin",         "xxx",
    "xyz",          "yachts",      "ye",         "yoga",        "yt",
    "za",           "zm",          "zone",       "zw",
};

/*
 * Extensions of files that carry code, macros or exploits, or that wrap
 * them (archives, disk images), sorted. Text, web and image formats are
 * left out: "index.html" or "logo.png" in a report is rarely the point.
 */
static const char *const file_exts[] = {
    "7z",   "ace", "apk",  "arj",  "ax",   "bat",  "bin",  "bz2",  "cab",
    "chm",  "cmd", "cpl",  "dll",  "dmg",  "doc",  "docm", "docx", "dot",
    "dotm", "drv", "elf",  "exe",  "gz",   "hta",  "img",  "iqy",  "iso",
    "jar",  "jse", "lnk",  "lzh",  "mov",  "msi",  "msp",  "ocx",  "one",
    "pdf",  "pif", "potm", "ppam", "ppsm", "ppt",  "pptm", "pptx", "ps1",
    "psm1", "py",  "rar",  "reg",  "rtf",  "scr",  "sh",   "sldm", "slk",
    "so",   "sys", "tar",  "tgz",  "vbe",  "vbs",  "vhd",  "vhdx", "wsf",
    "wsh",  "xla", "xlam", "xll",  "xls",  "xlsb", "xlsm", "xlsx", "xz",
    "z01",  "zip",
};

/* A lower-case copy of a short word; returns false when it is too long. */
static bool lower_word(const char *s, size_t n, char *buf, size_t size)
{
    if (n == 0 || n >= size)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];

        buf[i] = (char)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
    }
    buf[n] = '\0';
    return true;
}

static int cmp_word(const void *key, const void *elem)
{
    return strcmp(key, *(const char *const *)elem);
}

bool io_text_is_tld(const char *s, size_t n)
{
    char word[32];

    /* Internationalised TLDs in their ASCII form. */
    if (n > 4 && (s[0] | 0x20) == 'x' && (s[1] | 0x20) == 'n' && s[2] == '-' &&
        s[3] == '-')
        return true;
    if (!lower_word(s, n, word, sizeof(word)))
        return false;
    return bsearch(word, tlds, ARRAY_SIZE(tlds), sizeof(tlds[0]), cmp_word);
}

bool io_text_is_file_ext(const char *s, size_t n)
{
    char word[8];

    if (!lower_word(s, n, word, sizeof(word)))
        return false;
    return bsearch(word, file_exts, ARRAY_SIZE(file_exts), sizeof(file_exts[0]),
                   cmp_word);
}
