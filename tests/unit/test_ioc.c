/*
 * Unit tests for ioc/: refanging, type detection, strict validation and
 * normalisation of every indicator type, defanging, and the names of the
 * model's enums. Table-driven: a failing row is reported with its input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ioc/ioc.h"
#include "util/err.h"
#include "util/strbuf.h"

/* Building blocks for values at the length limits. */
#define A63 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define B61 "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

/* At least this many valid and invalid rows per type. */
#define MIN_ROWS_PER_TYPE 12

struct valid_case {
    enum ioc_type type;
    const char *in;
    const char *want;
};

static const struct valid_case valid_cases[] = {
    /* ipv4 */
    { IOC_TYPE_IPV4, "1.2.3.4", "1.2.3.4" },
    { IOC_TYPE_IPV4, "0.0.0.0", "0.0.0.0" },
    { IOC_TYPE_IPV4, "255.255.255.255", "255.255.255.255" },
    { IOC_TYPE_IPV4, "192.168.0.1", "192.168.0.1" },
    { IOC_TYPE_IPV4, "10.0.0.1", "10.0.0.1" },
    { IOC_TYPE_IPV4, "198.51.100.7", "198.51.100.7" },
    { IOC_TYPE_IPV4, "100.64.0.0", "100.64.0.0" },
    { IOC_TYPE_IPV4, "  203.0.113.9 \n", "203.0.113.9" },
    { IOC_TYPE_IPV4, "1[.]2[.]3[.]4", "1.2.3.4" },
    { IOC_TYPE_IPV4, "8(.)8(.)4{.}4", "8.8.4.4" },
    { IOC_TYPE_IPV4, "<192.0.2.1>", "192.0.2.1" },
    { IOC_TYPE_IPV4, "\"192.0.2.55\"", "192.0.2.55" },
    { IOC_TYPE_IPV4, "172.16.254.1", "172.16.254.1" },
    { IOC_TYPE_IPV4, "9[dot]9[dot]9[dot]9", "9.9.9.9" },
    /* ipv6 */
    { IOC_TYPE_IPV6, "2001:db8::1", "2001:db8::1" },
    { IOC_TYPE_IPV6, "2001:DB8::1", "2001:db8::1" },
    { IOC_TYPE_IPV6, "2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1" },
    { IOC_TYPE_IPV6, "::", "::" },
    { IOC_TYPE_IPV6, "::1", "::1" },
    { IOC_TYPE_IPV6, "FE80::1", "fe80::1" },
    { IOC_TYPE_IPV6, "::ffff:192.0.2.1", "::ffff:192.0.2.1" },
    { IOC_TYPE_IPV6, "::FFFF:c000:0201", "::ffff:192.0.2.1" },
    { IOC_TYPE_IPV6, "2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1" },
    { IOC_TYPE_IPV6, "2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1" },
    { IOC_TYPE_IPV6, "2001[:]db8[:][:]1", "2001:db8::1" },
    { IOC_TYPE_IPV6, "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8" },
    { IOC_TYPE_IPV6, "2001:db8:85a3::8a2e:370:7334",
      "2001:db8:85a3::8a2e:370:7334" },
    { IOC_TYPE_IPV6, "64:ff9b::192.0.2.33", "64:ff9b::c000:221" },
    /* cidr: host bits are cleared */
    { IOC_TYPE_CIDR, "10.0.0.0/8", "10.0.0.0/8" },
    { IOC_TYPE_CIDR, "10.1.2.3/8", "10.0.0.0/8" },
    { IOC_TYPE_CIDR, "192.168.1.77/24", "192.168.1.0/24" },
    { IOC_TYPE_CIDR, "0.0.0.0/0", "0.0.0.0/0" },
    { IOC_TYPE_CIDR, "1.2.3.4/32", "1.2.3.4/32" },
    { IOC_TYPE_CIDR, "1.2.3.4/0", "0.0.0.0/0" },
    { IOC_TYPE_CIDR, "172.16.5.4/12", "172.16.0.0/12" },
    { IOC_TYPE_CIDR, "198.51.100.7/31", "198.51.100.6/31" },
    { IOC_TYPE_CIDR, "2001:db8::/32", "2001:db8::/32" },
    { IOC_TYPE_CIDR, "2001:DB8:1:2::1/64", "2001:db8:1:2::/64" },
    { IOC_TYPE_CIDR, "::/0", "::/0" },
    { IOC_TYPE_CIDR, "2001:db8::1/128", "2001:db8::1/128" },
    { IOC_TYPE_CIDR, "fe80::1/10", "fe80::/10" },
    { IOC_TYPE_CIDR, "2001:db8:abcd:12::1/56", "2001:db8:abcd::/56" },
    { IOC_TYPE_CIDR, "10[.]0[.]0[.]0/8", "10.0.0.0/8" },
    /* domain */
    { IOC_TYPE_DOMAIN, "example.com", "example.com" },
    { IOC_TYPE_DOMAIN, "EXAMPLE.COM", "example.com" },
    { IOC_TYPE_DOMAIN, "Evil.Example.", "evil.example" },
    { IOC_TYPE_DOMAIN, "sub.domain.example.org", "sub.domain.example.org" },
    { IOC_TYPE_DOMAIN, "a.co", "a.co" },
    { IOC_TYPE_DOMAIN, "1.2.3.com", "1.2.3.com" },
    { IOC_TYPE_DOMAIN, "a-b.c-d.example", "a-b.c-d.example" },
    { IOC_TYPE_DOMAIN, "r3---sn-abc.googlevideo.com",
      "r3---sn-abc.googlevideo.com" },
    { IOC_TYPE_DOMAIN, "evil[.]example", "evil.example" },
    { IOC_TYPE_DOMAIN, "evil(dot)example[DOT]com", "evil.example.com" },
    { IOC_TYPE_DOMAIN, "xn--bcher-kva.example", "xn--bcher-kva.example" },
    { IOC_TYPE_DOMAIN, "XN--BCHER-KVA.example", "xn--bcher-kva.example" },
    { IOC_TYPE_DOMAIN,
      "b\xc3\xbc"
      "cher.example",
      "xn--bcher-kva.example" },
    { IOC_TYPE_DOMAIN,
      "B\xc3\x9c"
      "CHER.Example",
      "xn--bcher-kva.example" },
    { IOC_TYPE_DOMAIN, "fa\xc3\x9f.de", "xn--fa-hia.de" },
    { IOC_TYPE_DOMAIN, "\xe4\xbe\x8b\xe3\x81\x88.jp", "xn--r8jz45g.jp" },
    /* fullwidth letters and an ideographic full stop, as UTS #46 maps */
    { IOC_TYPE_DOMAIN,
      "\xef\xbd\x85\xef\xbd\x98\xef\xbd\x81\xef\xbd\x8d\xef\xbd\x90\xef\xbd"
      "\x8c\xef\xbd\x85\xe3\x80\x82"
      "com",
      "example.com" },
    /* disallowed by non-transitional processing, not by transitional */
    { IOC_TYPE_DOMAIN, "\xf0\x9f\x98\x80.com", "xn--e28h.com" },
    { IOC_TYPE_DOMAIN, A63 ".example", A63 ".example" },
    { IOC_TYPE_DOMAIN, A63 "." A63 "." A63 "." B61,
      A63 "." A63 "." A63 "." B61 },
    /* url */
    { IOC_TYPE_URL, "http://example.com/", "http://example.com/" },
    { IOC_TYPE_URL, "http://example.com", "http://example.com/" },
    { IOC_TYPE_URL, "HTTPS://EVIL.Example/Path?Q=1#Frag",
      "https://evil.example/Path?Q=1#Frag" },
    { IOC_TYPE_URL, "hxxp://evil[.]example/login.php",
      "http://evil.example/login.php" },
    { IOC_TYPE_URL, "hXXps[:]//evil[.]example/a", "https://evil.example/a" },
    { IOC_TYPE_URL, "http://user:pass@evil.example:8080/x",
      "http://user:pass@evil.example:8080/x" },
    { IOC_TYPE_URL, "http://example.com:80/", "http://example.com:80/" },
    { IOC_TYPE_URL, "http://example.com:0080/", "http://example.com:80/" },
    { IOC_TYPE_URL,
      "https://b\xc3\xbc"
      "cher.example/stra\xc3\x9f"
      "e",
      "https://xn--bcher-kva.example/stra\xc3\x9f"
      "e" },
    { IOC_TYPE_URL, "http://[2001:DB8::1]:8080/x",
      "http://[2001:db8::1]:8080/x" },
    { IOC_TYPE_URL, "http://192.0.2.1/a/../b", "http://192.0.2.1/a/../b" },
    { IOC_TYPE_URL, "ftp://files.example.org/pub/file.txt",
      "ftp://files.example.org/pub/file.txt" },
    { IOC_TYPE_URL, "wss://chat.example/socket", "wss://chat.example/socket" },
    { IOC_TYPE_URL, "tcp://198.51.100.7:4444", "tcp://198.51.100.7:4444/" },
    { IOC_TYPE_URL, "http://example.com/%7Euser?a=%20b",
      "http://example.com/%7Euser?a=%20b" },
    { IOC_TYPE_URL, "http://Example.COM./", "http://example.com/" },
    { IOC_TYPE_URL, "<http://example.com/x>", "http://example.com/x" },
    { IOC_TYPE_URL, "http:\\/\\/example.com\\/x", "http://example.com/x" },
    { IOC_TYPE_URL, "http://example.com?q=1", "http://example.com/?q=1" },
    /* email */
    { IOC_TYPE_EMAIL, "user@example.com", "user@example.com" },
    { IOC_TYPE_EMAIL, "User.Name@Example.COM", "User.Name@example.com" },
    { IOC_TYPE_EMAIL, "user+tag@example.com", "user+tag@example.com" },
    { IOC_TYPE_EMAIL, "user[@]evil[.]example", "user@evil.example" },
    { IOC_TYPE_EMAIL, "user(at)evil(dot)example", "user@evil.example" },
    { IOC_TYPE_EMAIL, "o'brien@example.ie", "o'brien@example.ie" },
    { IOC_TYPE_EMAIL, "first.last@sub.example.org",
      "first.last@sub.example.org" },
    { IOC_TYPE_EMAIL,
      "x@b\xc3\xbc"
      "cher.example",
      "x@xn--bcher-kva.example" },
    { IOC_TYPE_EMAIL, "!#$%&'*+/=?^_`{|}~-@example.com",
      "!#$%&'*+/=?^_`{|}~-@example.com" },
    { IOC_TYPE_EMAIL, A63 "b@example.com", A63 "b@example.com" },
    { IOC_TYPE_EMAIL, "a@b.co", "a@b.co" },
    { IOC_TYPE_EMAIL, "user@example.com.", "user@example.com" },
    { IOC_TYPE_EMAIL, "<user@example.com>", "user@example.com" },
    /* md5 */
    { IOC_TYPE_MD5, "0cc175b9c0f1b6a831c399e269772661",
      "0cc175b9c0f1b6a831c399e269772661" },
    { IOC_TYPE_MD5, "92EB5FFEE6AE2FEC3AD71C777531578F",
      "92eb5ffee6ae2fec3ad71c777531578f" },
    { IOC_TYPE_MD5, "  900150983CD24FB0d6963f7d28e17f72\n",
      "900150983cd24fb0d6963f7d28e17f72" },
    { IOC_TYPE_MD5, "\"84f02c5e6263587b3f8f319e1650bbd2\"",
      "84f02c5e6263587b3f8f319e1650bbd2" },
    { IOC_TYPE_MD5, "4034a346ccee15292d823416f7510a2f",
      "4034a346ccee15292d823416f7510a2f" },
    { IOC_TYPE_MD5, "321C3CF486ED509164EDEC1E1981FEC8",
      "321c3cf486ed509164edec1e1981fec8" },
    { IOC_TYPE_MD5, "  E5F96AE00443877315fbb64fd3d90005\n",
      "e5f96ae00443877315fbb64fd3d90005" },
    { IOC_TYPE_MD5, "\"741bbfe6375f736d064a3e23f004676d\"",
      "741bbfe6375f736d064a3e23f004676d" },
    { IOC_TYPE_MD5, "41b89d10619cdd3e30fb6c401c17c7d9",
      "41b89d10619cdd3e30fb6c401c17c7d9" },
    { IOC_TYPE_MD5, "4A527F83A3A4CA7E1D70ADB26A35B72E",
      "4a527f83a3a4ca7e1d70adb26a35b72e" },
    { IOC_TYPE_MD5, "  7573F1429F285F385207eb60b9f8c3cc\n",
      "7573f1429f285f385207eb60b9f8c3cc" },
    { IOC_TYPE_MD5, "\"994e01aa71e3de9e8bbdafb048be4953\"",
      "994e01aa71e3de9e8bbdafb048be4953" },
    /* sha1 */
    { IOC_TYPE_SHA1, "86f7e437faa5a7fce15d1ddcb9eaeaea377667b8",
      "86f7e437faa5a7fce15d1ddcb9eaeaea377667b8" },
    { IOC_TYPE_SHA1, "E9D71F5EE7C92D6DC9E92FFDAD17B8BD49418F98",
      "e9d71f5ee7c92d6dc9e92ffdad17b8bd49418f98" },
    { IOC_TYPE_SHA1, "  A9993E364706816ABA3E25717850c26c9cd0d89d\n",
      "a9993e364706816aba3e25717850c26c9cd0d89d" },
    { IOC_TYPE_SHA1, "\"18c8eae86e4f3bd4a0797e45dc7e2fcedbee3bc9\"",
      "18c8eae86e4f3bd4a0797e45dc7e2fcedbee3bc9" },
    { IOC_TYPE_SHA1, "b653891162a040e1bfe6e436bdcd93827e0c56e5",
      "b653891162a040e1bfe6e436bdcd93827e0c56e5" },
    { IOC_TYPE_SHA1, "F07E5A815613C5ABEDDC4B682247A4C42D8A95DF",
      "f07e5a815613c5abeddc4b682247a4c42d8a95df" },
    { IOC_TYPE_SHA1, "  BAEBA7E7B9EC453E23B5bac313219285d6292358\n",
      "baeba7e7b9ec453e23b5bac313219285d6292358" },
    { IOC_TYPE_SHA1, "\"ca118f05d354d16d50ffe2f421abce38d8bacffc\"",
      "ca118f05d354d16d50ffe2f421abce38d8bacffc" },
    { IOC_TYPE_SHA1, "c31f77b1e01a1042a7551db12321d026612748ed",
      "c31f77b1e01a1042a7551db12321d026612748ed" },
    { IOC_TYPE_SHA1, "C57E08AF28C85E7FE987028F7986F0BB4573F663",
      "c57e08af28c85e7fe987028f7986f0bb4573f663" },
    { IOC_TYPE_SHA1, "  68E89FEAD6BF38BE96B8461de2259be3aed4f069\n",
      "68e89fead6bf38be96b8461de2259be3aed4f069" },
    { IOC_TYPE_SHA1, "\"ce22e40867090b456472fa77471fc79ad567b2b2\"",
      "ce22e40867090b456472fa77471fc79ad567b2b2" },
    /* sha256 */
    { IOC_TYPE_SHA256,
      "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb",
      "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb" },
    { IOC_TYPE_SHA256,
      "3E23E8160039594A33894F6564E1B1348BBD7A0088D42C4ACB73EEAED59C009D",
      "3e23e8160039594a33894f6564e1b1348bbd7a0088d42c4acb73eeaed59c009d" },
    { IOC_TYPE_SHA256,
      "  BA7816BF8F01CFEA414140DE5DAE2223b00361a396177a9cb410ff61f20015ad\n",
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
    { IOC_TYPE_SHA256,
      "\"1b962221a203d924cede3a8fe6f30fc2067aae174fd26f0007d32ba35a5de652\"",
      "1b962221a203d924cede3a8fe6f30fc2067aae174fd26f0007d32ba35a5de652" },
    { IOC_TYPE_SHA256,
      "b5c1fb2efc6d6b4674c2fdcc48ce01b43a3b7c03763c0c3355de0099ee0f8c73",
      "b5c1fb2efc6d6b4674c2fdcc48ce01b43a3b7c03763c0c3355de0099ee0f8c73" },
    { IOC_TYPE_SHA256,
      "239F59ED55E737C77147CF55AD0C1B030B6D7EE748A7426952F9B852D5A935E5",
      "239f59ed55e737c77147cf55ad0c1b030b6d7ee748a7426952f9b852d5a935e5" },
    { IOC_TYPE_SHA256,
      "  52D6E3DE4FA0DCC29946695F93940C3E7f26f30e1e39f4b1a49ad98839112786\n",
      "52d6e3de4fa0dcc29946695f93940c3e7f26f30e1e39f4b1a49ad98839112786" },
    { IOC_TYPE_SHA256,
      "\"a934d8d273e44f15ccddbcd7180cf99d0fff719acff064f0b080299f9cd83e41\"",
      "a934d8d273e44f15ccddbcd7180cf99d0fff719acff064f0b080299f9cd83e41" },
    { IOC_TYPE_SHA256,
      "8a62e967fcd6dfa5d75308c37808b4668a7faf1cdb06e09ac0a7161827603887",
      "8a62e967fcd6dfa5d75308c37808b4668a7faf1cdb06e09ac0a7161827603887" },
    { IOC_TYPE_SHA256,
      "D47712CCEB4C780603026E6325221C1BCFF90679EBC076BAA51C71EBE796717C",
      "d47712cceb4c780603026e6325221c1bcff90679ebc076baa51c71ebe796717c" },
    { IOC_TYPE_SHA256,
      "  5E585FD3FAB5CB85A941179B4DF835CEf988f0281af9f47878024f539c302df5\n",
      "5e585fd3fab5cb85a941179b4df835cef988f0281af9f47878024f539c302df5" },
    { IOC_TYPE_SHA256,
      "\"c3863ec1e58a6a4dc8fa26f0148ffca03caf98deea2d3a16a4bb03b80e926ed6\"",
      "c3863ec1e58a6a4dc8fa26f0148ffca03caf98deea2d3a16a4bb03b80e926ed6" },
    /* sha512 */
    { IOC_TYPE_SHA512,
      "1f40fc92da241694750979ee6cf582f2d5d7d28e18335de05abc54d0560e0f5302860c652bf08d560252aa5e74210546f369fbbbce8c12cfc7957b2652fe9a75",
      "1f40fc92da241694750979ee6cf582f2d5d7d28e18335de05abc54d0560e0f5302860c652bf08d560252aa5e74210546f369fbbbce8c12cfc7957b2652fe9a75" },
    { IOC_TYPE_SHA512,
      "5267768822EE624D48FCE15EC5CA79CBD602CB7F4C2157A516556991F22EF8C7B5EF7B18D1FF41C59370EFB0858651D44A936C11B7B144C48FE04DF3C6A3E8DA",
      "5267768822ee624d48fce15ec5ca79cbd602cb7f4c2157a516556991f22ef8c7b5ef7b18d1ff41c59370efb0858651d44a936c11b7b144c48fe04df3c6a3e8da" },
    { IOC_TYPE_SHA512,
      "  DDAF35A193617ABACC417349AE20413112E6FA4E89A97EA20A9EEEE64B55D39A2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f\n",
      "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f" },
    { IOC_TYPE_SHA512,
      "\"8de7f596671d4d9c3021a5491764344d9a73b301a262819d4c4ea02b7c5ab4f1cca1e52064fa87e097a99bd360e55f27541a3839571277e57acb139c5acf1949\"",
      "8de7f596671d4d9c3021a5491764344d9a73b301a262819d4c4ea02b7c5ab4f1cca1e52064fa87e097a99bd360e55f27541a3839571277e57acb139c5acf1949" },
    { IOC_TYPE_SHA512,
      "4455726f5605299bcd836c742e9351c5a71fd3e1c4d2d994f04ac7fa6f7ec5650af66695c40462f8479332b20090e2c244b5ef39fee50ad60064dc65114dbe11",
      "4455726f5605299bcd836c742e9351c5a71fd3e1c4d2d994f04ac7fa6f7ec5650af66695c40462f8479332b20090e2c244b5ef39fee50ad60064dc65114dbe11" },
    { IOC_TYPE_SHA512,
      "70B33CE9C9047E30F917E7EA13E42F7767008C3F4F9C9BAF49E4390FC625549E9625EEE39B94545074E8A1824CF3F238463B11BC03D97348E0FC2999CA1FFF7F",
      "70b33ce9c9047e30f917e7ea13e42f7767008c3f4f9c9baf49e4390fc625549e9625eee39b94545074e8a1824cf3f238463b11bc03d97348e0fc2999ca1fff7f" },
    { IOC_TYPE_SHA512,
      "  659983D23C6F9D1045E3F2DCDCE32383CE9E65B3B967821DD5BF98EC8A3E207440aae696ecfbdf9ba453b817023cc0a05a9c0d3852e5e39a0e8a31494acbebd6\n",
      "659983d23c6f9d1045e3f2dcdce32383ce9e65b3b967821dd5bf98ec8a3e207440aae696ecfbdf9ba453b817023cc0a05a9c0d3852e5e39a0e8a31494acbebd6" },
    { IOC_TYPE_SHA512,
      "\"3a335548236ba83e3cccb696651d3299915b5de7e1a92b49ca5076a9f0837dfc7394dc7d29c25e8d7682df32d75b8e08747ae8bf70440ed21734671ec73eb1b0\"",
      "3a335548236ba83e3cccb696651d3299915b5de7e1a92b49ca5076a9f0837dfc7394dc7d29c25e8d7682df32d75b8e08747ae8bf70440ed21734671ec73eb1b0" },
    { IOC_TYPE_SHA512,
      "7fa3e45c3414a8e1aba885d7d390536a04b2358911f9129dbf58ebe87f283f80074e14f70494d3349b0431d7a7d9d09963e639a76893ec1182bd13a134bc37a1",
      "7fa3e45c3414a8e1aba885d7d390536a04b2358911f9129dbf58ebe87f283f80074e14f70494d3349b0431d7a7d9d09963e639a76893ec1182bd13a134bc37a1" },
    { IOC_TYPE_SHA512,
      "ECA0944DF0328FBDD8E652815B7E0918A8AE36D9C64F17B36AA3CD9BF91946CA184EBB204E28906F07C68E17D8DFF19BF2B127DFE62C7FBF76E942BFF408615D",
      "eca0944df0328fbdd8e652815b7e0918a8ae36d9c64f17b36aa3cd9bf91946ca184ebb204e28906f07c68e17d8dff19bf2b127dfe62c7fbf76e942bff408615d" },
    { IOC_TYPE_SHA512,
      "  AD5832756F70E7C38857232B1356DEA3284EFAB074E1E6EEB61B88C81218EC1D50366c7b4c1d3584dd00376174a50cb2125aeabd42b29198b7f7b8e15672888a\n",
      "ad5832756f70e7c38857232b1356dea3284efab074e1e6eeb61b88c81218ec1d50366c7b4c1d3584dd00376174a50cb2125aeabd42b29198b7f7b8e15672888a" },
    { IOC_TYPE_SHA512,
      "\"a6d983c510fcf5524a9c263af97682c77ac5fc293fbfcdb198256282e83d9b2724b7705125ce0239ebb62e57b4a18679675a3f9765297336152f8edf2aa61d4c\"",
      "a6d983c510fcf5524a9c263af97682c77ac5fc293fbfcdb198256282e83d9b2724b7705125ce0239ebb62e57b4a18679675a3f9765297336152f8edf2aa61d4c" },
    /* ssdeep */
    { IOC_TYPE_SSDEEP, "3:abc:def", "3:abc:def" },
    { IOC_TYPE_SSDEEP,
      "96:s4Ud1Lj96tHHlZDrwciQmA+4uy1I0G4HYuL8N3TzS8QsO/wqWXLcMSx:s4Ud1Lj9",
      "96:s4Ud1Lj96tHHlZDrwciQmA+4uy1I0G4HYuL8N3TzS8QsO/wqWXLcMSx:s4Ud1Lj9" },
    { IOC_TYPE_SSDEEP, "3::", "3::" },
    { IOC_TYPE_SSDEEP, "6:a+/b:c", "6:a+/b:c" },
    { IOC_TYPE_SSDEEP, "12:abc:", "12:abc:" },
    { IOC_TYPE_SSDEEP, "24:xyz:XYZ", "24:xyz:XYZ" },
    { IOC_TYPE_SSDEEP, "48:hQ2Zs:hQ2Zs", "48:hQ2Zs:hQ2Zs" },
    { IOC_TYPE_SSDEEP, "1536:Zr9VcKb:Zr9V", "1536:Zr9VcKb:Zr9V" },
    { IOC_TYPE_SSDEEP, "3072:AbC/dEf+0:AbC", "3072:AbC/dEf+0:AbC" },
    { IOC_TYPE_SSDEEP, "3221225472:a:b", "3221225472:a:b" },
    { IOC_TYPE_SSDEEP, "  49152:abc/def:ghi+jkl  ", "49152:abc/def:ghi+jkl" },
    { IOC_TYPE_SSDEEP, "6:" A63 "b:" A63 "b", "6:" A63 "b:" A63 "b" },
    /* cve */
    { IOC_TYPE_CVE, "CVE-2021-44228", "CVE-2021-44228" },
    { IOC_TYPE_CVE, "cve-2021-44228", "CVE-2021-44228" },
    { IOC_TYPE_CVE, "Cve-2020-0601", "CVE-2020-0601" },
    { IOC_TYPE_CVE, "CVE-1999-0001", "CVE-1999-0001" },
    { IOC_TYPE_CVE, "CVE-2014-0160", "CVE-2014-0160" },
    { IOC_TYPE_CVE, "CVE-2023-12345", "CVE-2023-12345" },
    { IOC_TYPE_CVE, "CVE-2024-1234567", "CVE-2024-1234567" },
    { IOC_TYPE_CVE, " CVE-2017-0144 ", "CVE-2017-0144" },
    { IOC_TYPE_CVE, "CVE-2019-19781", "CVE-2019-19781" },
    { IOC_TYPE_CVE, "CVE-2000-0884", "CVE-2000-0884" },
    { IOC_TYPE_CVE, "CVE-2099-9999", "CVE-2099-9999" },
    { IOC_TYPE_CVE, "CVE-2018-1000001", "CVE-2018-1000001" },
    { IOC_TYPE_CVE, "\"CVE-2022-22965\"", "CVE-2022-22965" },
    /* asn */
    { IOC_TYPE_ASN, "AS15169", "AS15169" },
    { IOC_TYPE_ASN, "as15169", "AS15169" },
    { IOC_TYPE_ASN, "15169", "AS15169" },
    { IOC_TYPE_ASN, "AS1", "AS1" },
    { IOC_TYPE_ASN, "4294967295", "AS4294967295" },
    { IOC_TYPE_ASN, "AS4294967295", "AS4294967295" },
    { IOC_TYPE_ASN, "As13335", "AS13335" },
    { IOC_TYPE_ASN, "aS65000", "AS65000" },
    { IOC_TYPE_ASN, "AS23456", "AS23456" },
    { IOC_TYPE_ASN, " AS3356 ", "AS3356" },
    { IOC_TYPE_ASN, "64512", "AS64512" },
    { IOC_TYPE_ASN, "AS209", "AS209" },
    { IOC_TYPE_ASN, "7018", "AS7018" },
    /* filename: case and inner spaces kept */
    { IOC_TYPE_FILENAME, "invoice.pdf.exe", "invoice.pdf.exe" },
    { IOC_TYPE_FILENAME, "payload.dll", "payload.dll" },
    { IOC_TYPE_FILENAME, "README", "README" },
    { IOC_TYPE_FILENAME, "My Document.docx", "My Document.docx" },
    { IOC_TYPE_FILENAME, "\xc3\xa9vil.exe", "\xc3\xa9vil.exe" },
    { IOC_TYPE_FILENAME, ".bashrc", ".bashrc" },
    { IOC_TYPE_FILENAME, "a..b", "a..b" },
    { IOC_TYPE_FILENAME, "file.txt:Zone.Identifier",
      "file.txt:Zone.Identifier" },
    { IOC_TYPE_FILENAME, "report final (1).pdf", "report final (1).pdf" },
    { IOC_TYPE_FILENAME, "setup[.]exe", "setup.exe" },
    { IOC_TYPE_FILENAME, "  spaced.exe\t", "spaced.exe" },
    { IOC_TYPE_FILENAME, "UPDATE.ZIP", "UPDATE.ZIP" },
    { IOC_TYPE_FILENAME, A63 A63 A63 A63 "abc", A63 A63 A63 A63 "abc" },
    { IOC_TYPE_FILENAME, "x", "x" },
};

struct invalid_case {
    enum ioc_type type;
    const char *in;
    const char *reason; /* expected in the message */
};

static const struct invalid_case invalid_cases[] = {
    /* ipv4 */
    { IOC_TYPE_IPV4, "1.2.3.256", "octet out of range" },
    { IOC_TYPE_IPV4, "1.2.3.1000", "octet out of range" },
    { IOC_TYPE_IPV4, "99999999999.1.1.1", "octet out of range" },
    { IOC_TYPE_IPV4, "1.2.3", "expected four decimal octets" },
    { IOC_TYPE_IPV4, "1.2.3.4.5", "expected four decimal octets" },
    { IOC_TYPE_IPV4, "010.1.1.1", "leading zero in octet" },
    { IOC_TYPE_IPV4, "1.2.3.04", "leading zero in octet" },
    { IOC_TYPE_IPV4, "1..2.3", "empty octet" },
    { IOC_TYPE_IPV4, ".1.2.3", "empty octet" },
    { IOC_TYPE_IPV4, "1.2.3.", "empty octet" },
    { IOC_TYPE_IPV4, "1.2.3.a", "invalid character 'a'" },
    { IOC_TYPE_IPV4, "1.2.3.4/24", "invalid character '/'" },
    { IOC_TYPE_IPV4, "1.2.3.4:80", "invalid character ':'" },
    { IOC_TYPE_IPV4, "1 .2.3.4", "invalid character '\\x20'" },
    { IOC_TYPE_IPV4, "-1.2.3.4", "invalid character '-'" },
    { IOC_TYPE_IPV4, "", "empty value" },
    { IOC_TYPE_IPV4, " \t ", "empty value" },
    /* ipv6 */
    { IOC_TYPE_IPV6, "fe80::1%eth0", "zone ids are not allowed" },
    { IOC_TYPE_IPV6, "fe80::1%25", "zone ids are not allowed" },
    { IOC_TYPE_IPV6, "2001:db8::1::1", "more than one '::'" },
    { IOC_TYPE_IPV6, "2001:db8:::1", "not a valid ipv6 address" },
    { IOC_TYPE_IPV6, "12345::1", "group longer than 4 hex digits" },
    { IOC_TYPE_IPV6, "2001:db8::g", "invalid character 'g'" },
    { IOC_TYPE_IPV6, "1:2:3:4:5:6:7:8:9", "not a valid ipv6 address" },
    { IOC_TYPE_IPV6, "1:2:3:4:5:6:7", "not a valid ipv6 address" },
    { IOC_TYPE_IPV6, "::ffff:1.2.3.256", "octet out of range" },
    { IOC_TYPE_IPV6, "::ffff:01.2.3.4", "leading zero in octet" },
    { IOC_TYPE_IPV6, "1.2.3.4", "not a valid ipv6 address" },
    { IOC_TYPE_IPV6, "[2001:db8::1]", "invalid character '['" },
    { IOC_TYPE_IPV6, "2001:db8::1/64", "invalid character '/'" },
    { IOC_TYPE_IPV6, "::1.2.3.4:1", "not a valid ipv6 address" },
    { IOC_TYPE_IPV6, "0000:0000:0000:0000:0000:0000:0000:0000:0000:0000",
      "too long" },
    /* cidr */
    { IOC_TYPE_CIDR, "10.0.0.0", "missing '/' and prefix length" },
    { IOC_TYPE_CIDR, "10.0.0.0/", "missing prefix length" },
    { IOC_TYPE_CIDR, "10.0.0.0/33", "prefix length out of range (0-32)" },
    { IOC_TYPE_CIDR, "2001:db8::/129", "prefix length out of range (0-128)" },
    { IOC_TYPE_CIDR, "10.0.0.0/08", "leading zero in prefix length" },
    { IOC_TYPE_CIDR, "10.0.0.0/a", "invalid prefix length" },
    { IOC_TYPE_CIDR, "10.0.0.0/-1", "invalid prefix length" },
    { IOC_TYPE_CIDR, "10.0.0.0/1000", "invalid prefix length" },
    { IOC_TYPE_CIDR, "10.0.0.256/8", "octet out of range" },
    { IOC_TYPE_CIDR, "010.0.0.0/8", "leading zero in octet" },
    { IOC_TYPE_CIDR, "10.0.0/8", "expected four decimal octets" },
    { IOC_TYPE_CIDR, "fe80::1%eth0/64", "zone ids are not allowed" },
    { IOC_TYPE_CIDR, "10.0.0.0/8/8", "invalid character '/'" },
    { IOC_TYPE_CIDR, "2001:db8::g/32", "invalid character 'g'" },
    { IOC_TYPE_CIDR, "/24", "empty octet" },
    /* domain */
    { IOC_TYPE_DOMAIN, "a..b", "empty label" },
    { IOC_TYPE_DOMAIN, ".example.com", "empty label" },
    { IOC_TYPE_DOMAIN, "example.com..", "empty label" },
    { IOC_TYPE_DOMAIN, ".", "empty name" },
    { IOC_TYPE_DOMAIN, "example", "needs at least two labels" },
    { IOC_TYPE_DOMAIN, "-evil.com", "label starts with a hyphen" },
    { IOC_TYPE_DOMAIN, "evil-.com", "label ends with a hyphen" },
    { IOC_TYPE_DOMAIN, "evil_corp.com", "invalid character '_'" },
    { IOC_TYPE_DOMAIN, "1.2.3.4", "top-level label is all-numeric" },
    { IOC_TYPE_DOMAIN, "ex ample.com", "invalid character '\\x20'" },
    { IOC_TYPE_DOMAIN, A63 "a.example", "label longer than 63 characters" },
    { IOC_TYPE_DOMAIN, A63 "." A63 "." A63 "." B61 "b",
      "name longer than 253 characters" },
    { IOC_TYPE_DOMAIN, "evil.com/path", "invalid character '/'" },
    { IOC_TYPE_DOMAIN, "user@example.com", "invalid character '@'" },
    { IOC_TYPE_DOMAIN, "xn--zz.com", "invalid punycode label 'xn--zz'" },
    { IOC_TYPE_DOMAIN, "bad\xff.com", "invalid utf-8" },
    { IOC_TYPE_DOMAIN, "bad\xc3.com", "invalid utf-8" },
    { IOC_TYPE_DOMAIN, "-\xc3\xbc.com", "label starts with a hyphen" },
    /* U+2474 maps to "(1)", which no host name may hold */
    { IOC_TYPE_DOMAIN, "\xe2\x91\xb4.com", "invalid character '('" },
    { IOC_TYPE_DOMAIN, "evil.com:80", "invalid character ':'" },
    /* url */
    { IOC_TYPE_URL, "example.com/path", "missing scheme" },
    { IOC_TYPE_URL, "1http://example.com/", "missing scheme" },
    { IOC_TYPE_URL, "javascript:alert(1)",
      "scheme 'javascript' is not allowed" },
    { IOC_TYPE_URL, "JavaScript://%0Aalert(1)",
      "scheme 'javascript' is not allowed" },
    { IOC_TYPE_URL, "data:text/html,hi", "scheme 'data' is not allowed" },
    { IOC_TYPE_URL, "mailto:a@b.example", "missing '//' after scheme" },
    { IOC_TYPE_URL, "http:/x.example", "missing '//' after scheme" },
    { IOC_TYPE_URL, "http://", "no host part" },
    { IOC_TYPE_URL, "http://exa mple.com/", "contains a space" },
    { IOC_TYPE_URL, "http://example.com/\x01", "invalid character '\\x01'" },
    { IOC_TYPE_URL, "http://a..b/", "host: empty label" },
    { IOC_TYPE_URL, "http://010.1.1.1/", "host: leading zero in octet" },
    { IOC_TYPE_URL, "http://1.2.3/", "host: expected four decimal octets" },
    { IOC_TYPE_URL, "http://2130706433/", "host: octet out of range" },
    { IOC_TYPE_URL, "http://ex%61mple.com/", "host: invalid character '%'" },
    { IOC_TYPE_URL, "http://evil.example\\@good.example/",
      "backslash in authority" },
    { IOC_TYPE_URL, "http://[fe80::1%25eth0]/",
      "host: zone ids are not allowed" },
    { IOC_TYPE_URL, "http://example.com:99999/", "port number" },
    { IOC_TYPE_URL, "http://under_score.example/",
      "host: invalid character '_'" },
    { IOC_TYPE_URL, "http://localhost/", "host: needs at least two labels" },
    { IOC_TYPE_URL, "http://a@b@c.example/", "bad hostname" },
    /* email */
    { IOC_TYPE_EMAIL, "userexample.com", "missing '@'" },
    { IOC_TYPE_EMAIL, "@example.com", "empty local part" },
    { IOC_TYPE_EMAIL, "user@", "empty domain" },
    { IOC_TYPE_EMAIL, "a@b@example.com", "more than one '@'" },
    { IOC_TYPE_EMAIL, ".user@example.com", "local part starts with a dot" },
    { IOC_TYPE_EMAIL, "user.@example.com", "local part ends with a dot" },
    { IOC_TYPE_EMAIL, "us..er@example.com", "consecutive dots in local part" },
    { IOC_TYPE_EMAIL, "us er@example.com",
      "invalid character '\\x20' in local part" },
    { IOC_TYPE_EMAIL, "\"quoted\"@example.com",
      "invalid character '\"' in local part" },
    { IOC_TYPE_EMAIL, "\xc3\xbcser@example.com",
      "invalid character '\\xc3' in local part" },
    { IOC_TYPE_EMAIL, A63 "bc@example.com",
      "local part longer than 64 characters" },
    { IOC_TYPE_EMAIL, "user@exa_mple.com", "domain: invalid character '_'" },
    { IOC_TYPE_EMAIL, "user@localhost", "domain: needs at least two labels" },
    { IOC_TYPE_EMAIL, "user@a..b", "domain: empty label" },
    { IOC_TYPE_EMAIL, "user@[192.0.2.1]", "domain: invalid character '['" },
    { IOC_TYPE_EMAIL, A63 "b@" A63 "." A63 "." A63 ".com",
      "longer than 254 characters" },
    /* md5 */
    { IOC_TYPE_MD5, "abc", "expected 32 hex digits, got 3" },
    { IOC_TYPE_MD5, "bae60998ffe4923b131e3d6e4c19993", "got 31" },
    { IOC_TYPE_MD5, "bae60998ffe4923b131e3d6e4c19993e0", "got 33" },
    { IOC_TYPE_MD5, "bae60998ffe4923b131e3d6e4c19993g", "found 'g'" },
    { IOC_TYPE_MD5, "bae60998ffe4923b131e3d6e4c19993Z", "found 'Z'" },
    { IOC_TYPE_MD5, "1902e3d6fc4e78a0bcc50ba12b882769afbf4a8c", "got 40" },
    { IOC_TYPE_MD5, "0xe60998ffe4923b131e3d6e4c19993e", "found 'x'" },
    { IOC_TYPE_MD5, "bae60998 fe4923b131e3d6e4c19993e", "found '\\x20'" },
    { IOC_TYPE_MD5, "bae60998ff-4923b131e3d6e4c19993e", "found '-'" },
    { IOC_TYPE_MD5, "", "empty value" },
    { IOC_TYPE_MD5, "bae60998ffe4923b131e3d6e4c19993\xc3\xa9", "got 33" },
    { IOC_TYPE_MD5, "md5:bae60998ffe4923b131e3d6e4c19993e", "got 36" },
    { IOC_TYPE_MD5, "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz", "found 'z'" },
    /* sha1 */
    { IOC_TYPE_SHA1, "abc", "expected 40 hex digits, got 3" },
    { IOC_TYPE_SHA1, "1902e3d6fc4e78a0bcc50ba12b882769afbf4a8", "got 39" },
    { IOC_TYPE_SHA1, "1902e3d6fc4e78a0bcc50ba12b882769afbf4a8c0", "got 41" },
    { IOC_TYPE_SHA1, "1902e3d6fc4e78a0bcc50ba12b882769afbf4a8g", "found 'g'" },
    { IOC_TYPE_SHA1, "1902e3d6fc4e78a0bcc50ba12b882769afbf4a8Z", "found 'Z'" },
    { IOC_TYPE_SHA1, "bae60998ffe4923b131e3d6e4c19993e", "got 32" },
    { IOC_TYPE_SHA1, "0x02e3d6fc4e78a0bcc50ba12b882769afbf4a8c", "found 'x'" },
    { IOC_TYPE_SHA1, "1902e3d6 c4e78a0bcc50ba12b882769afbf4a8c",
      "found '\\x20'" },
    { IOC_TYPE_SHA1, "1902e3d6fc-e78a0bcc50ba12b882769afbf4a8c", "found '-'" },
    { IOC_TYPE_SHA1, "", "empty value" },
    { IOC_TYPE_SHA1, "1902e3d6fc4e78a0bcc50ba12b882769afbf4a8\xc3\xa9",
      "got 41" },
    { IOC_TYPE_SHA1, "sha1:1902e3d6fc4e78a0bcc50ba12b882769afbf4a8c",
      "got 45" },
    { IOC_TYPE_SHA1, "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz", "found 'z'" },
    /* sha256 */
    { IOC_TYPE_SHA256, "abc", "expected 64 hex digits, got 3" },
    { IOC_TYPE_SHA256,
      "2f05d4b689d270cafb02285f35f44866f7dc8a2d368a3f9d1124373eeab31fb",
      "got 63" },
    { IOC_TYPE_SHA256,
      "2f05d4b689d270cafb02285f35f44866f7dc8a2d368a3f9d1124373eeab31fb10",
      "got 65" },
    { IOC_TYPE_SHA256,
      "2f05d4b689d270cafb02285f35f44866f7dc8a2d368a3f9d1124373eeab31fbg",
      "found 'g'" },
    { IOC_TYPE_SHA256,
      "2f05d4b689d270cafb02285f35f44866f7dc8a2d368a3f9d1124373eeab31fbZ",
      "found 'Z'" },
    { IOC_TYPE_SHA256,
      "cfd4aeb37e86243d2fb115e715dca3b870c1cd319f6b3f2bf0ea62e711ecd88f3936c6086cfc320659707f92d6e17ead37e5d339d5df9f896c44bd90c06d2b8e",
      "got 128" },
    { IOC_TYPE_SHA256,
      "0x05d4b689d270cafb02285f35f44866f7dc8a2d368a3f9d1124373eeab31fb1",
      "found 'x'" },
    { IOC_TYPE_SHA256,
      "2f05d4b6 9d270cafb02285f35f44866f7dc8a2d368a3f9d1124373eeab31fb1",
      "found '\\x20'" },
    { IOC_TYPE_SHA256,
      "2f05d4b689-270cafb02285f35f44866f7dc8a2d368a3f9d1124373eeab31fb1",
      "found '-'" },
    { IOC_TYPE_SHA256, "", "empty value" },
    { IOC_TYPE_SHA256,
      "2f05d4b689d270cafb02285f35f44866f7dc8a2d368a3f9d1124373eeab31fb\xc3\xa9",
      "got 65" },
    { IOC_TYPE_SHA256,
      "sha256:2f05d4b689d270cafb02285f35f44866f7dc8a2d368a3f9d1124373eeab31fb1",
      "got 71" },
    { IOC_TYPE_SHA256,
      "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz",
      "found 'z'" },
    /* sha512 */
    { IOC_TYPE_SHA512, "abc", "expected 128 hex digits, got 3" },
    { IOC_TYPE_SHA512,
      "cfd4aeb37e86243d2fb115e715dca3b870c1cd319f6b3f2bf0ea62e711ecd88f3936c6086cfc320659707f92d6e17ead37e5d339d5df9f896c44bd90c06d2b8",
      "got 127" },
    { IOC_TYPE_SHA512,
      "cfd4aeb37e86243d2fb115e715dca3b870c1cd319f6b3f2bf0ea62e711ecd88f3936c6086cfc320659707f92d6e17ead37e5d339d5df9f896c44bd90c06d2b8e0",
      "got 129" },
    { IOC_TYPE_SHA512,
      "cfd4aeb37e86243d2fb115e715dca3b870c1cd319f6b3f2bf0ea62e711ecd88f3936c6086cfc320659707f92d6e17ead37e5d339d5df9f896c44bd90c06d2b8g",
      "found 'g'" },
    { IOC_TYPE_SHA512,
      "cfd4aeb37e86243d2fb115e715dca3b870c1cd319f6b3f2bf0ea62e711ecd88f3936c6086cfc320659707f92d6e17ead37e5d339d5df9f896c44bd90c06d2b8Z",
      "found 'Z'" },
    { IOC_TYPE_SHA512,
      "2f05d4b689d270cafb02285f35f44866f7dc8a2d368a3f9d1124373eeab31fb1",
      "got 64" },
    { IOC_TYPE_SHA512,
      "0xd4aeb37e86243d2fb115e715dca3b870c1cd319f6b3f2bf0ea62e711ecd88f3936c6086cfc320659707f92d6e17ead37e5d339d5df9f896c44bd90c06d2b8e",
      "found 'x'" },
    { IOC_TYPE_SHA512,
      "cfd4aeb3 e86243d2fb115e715dca3b870c1cd319f6b3f2bf0ea62e711ecd88f3936c6086cfc320659707f92d6e17ead37e5d339d5df9f896c44bd90c06d2b8e",
      "found '\\x20'" },
    { IOC_TYPE_SHA512,
      "cfd4aeb37e-6243d2fb115e715dca3b870c1cd319f6b3f2bf0ea62e711ecd88f3936c6086cfc320659707f92d6e17ead37e5d339d5df9f896c44bd90c06d2b8e",
      "found '-'" },
    { IOC_TYPE_SHA512, "", "empty value" },
    { IOC_TYPE_SHA512,
      "cfd4aeb37e86243d2fb115e715dca3b870c1cd319f6b3f2bf0ea62e711ecd88f3936c6086cfc320659707f92d6e17ead37e5d339d5df9f896c44bd90c06d2b8\xc3\xa9",
      "got 129" },
    { IOC_TYPE_SHA512,
      "sha512:cfd4aeb37e86243d2fb115e715dca3b870c1cd319f6b3f2bf0ea62e711ecd88f3936c6086cfc320659707f92d6e17ead37e5d339d5df9f896c44bd90c06d2b8e",
      "got 135" },
    { IOC_TYPE_SHA512,
      "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz",
      "found 'z'" },
    /* ssdeep */
    { IOC_TYPE_SSDEEP, "4:abc:def", "block size must be 3 times a power of 2" },
    { IOC_TYPE_SSDEEP, "9:abc:def", "block size must be 3 times a power of 2" },
    { IOC_TYPE_SSDEEP, "6442450944:a:b",
      "block size must be 3 times a power of 2" },
    { IOC_TYPE_SSDEEP, "03:abc:def", "leading zero in block size" },
    { IOC_TYPE_SSDEEP, "abc:def", "expected blocksize:hash:hash" },
    { IOC_TYPE_SSDEEP, ":abc:def", "expected blocksize:hash:hash" },
    { IOC_TYPE_SSDEEP, "3:abc", "expected blocksize:hash:hash" },
    { IOC_TYPE_SSDEEP, "3:abc:def:ghi", "expected blocksize:hash:hash" },
    { IOC_TYPE_SSDEEP, "3:ab-c:def", "invalid character '-' in hash" },
    { IOC_TYPE_SSDEEP, "3:abc:de f", "invalid character '\\x20' in hash" },
    { IOC_TYPE_SSDEEP, "3:abc:def,\"file.exe\"", "invalid character ','" },
    { IOC_TYPE_SSDEEP, "6:" A63 "bc:abc", "hash part longer than 64" },
    { IOC_TYPE_SSDEEP, "6:abc:" A63 "bc", "hash part longer than 64" },
    { IOC_TYPE_SSDEEP, "", "empty value" },
    /* cve */
    { IOC_TYPE_CVE, "CVE-2021-123", "expected at least four sequence digits" },
    { IOC_TYPE_CVE, "CVE-2021-", "expected at least four sequence digits" },
    { IOC_TYPE_CVE, "CVE-1998-0001", "year before 1999" },
    { IOC_TYPE_CVE, "CVE-21-44228", "expected a four-digit year" },
    { IOC_TYPE_CVE, "CVE--2021-1234", "expected a four-digit year" },
    { IOC_TYPE_CVE, "CVE-2021-01234", "leading zero" },
    { IOC_TYPE_CVE, "CVE-2021", "expected CVE-YYYY-NNNN" },
    { IOC_TYPE_CVE, "CVE2021-44228", "expected CVE-YYYY-NNNN" },
    { IOC_TYPE_CVE, "CAN-2021-44228", "expected CVE-YYYY-NNNN" },
    { IOC_TYPE_CVE, "CVE-2021_44228", "expected CVE-YYYY-NNNN" },
    { IOC_TYPE_CVE, "CVE-20211-4422", "expected CVE-YYYY-NNNN" },
    { IOC_TYPE_CVE, "CVE-2021-4422a", "sequence number is not a number" },
    { IOC_TYPE_CVE, "CVE-2021-12345678901234567890",
      "sequence number longer than 19 digits" },
    { IOC_TYPE_CVE, "2021-44228", "expected CVE-YYYY-NNNN" },
    /* asn */
    { IOC_TYPE_ASN, "AS0", "out of range (1-4294967295)" },
    { IOC_TYPE_ASN, "0", "out of range" },
    { IOC_TYPE_ASN, "AS4294967296", "out of range" },
    { IOC_TYPE_ASN, "99999999999999999999", "out of range" },
    { IOC_TYPE_ASN, "AS", "expected AS followed by a number" },
    { IOC_TYPE_ASN, "ASN15169", "expected AS followed by a number" },
    { IOC_TYPE_ASN, "AS-15169", "expected AS followed by a number" },
    { IOC_TYPE_ASN, "AS 15169", "expected AS followed by a number" },
    { IOC_TYPE_ASN, "AS015169", "leading zero in number" },
    { IOC_TYPE_ASN, "15169a", "expected AS followed by a number" },
    { IOC_TYPE_ASN, "-1", "expected AS followed by a number" },
    { IOC_TYPE_ASN, "AS1.10", "expected AS followed by a number" },
    { IOC_TYPE_ASN, "AS+1", "expected AS followed by a number" },
    /* filename */
    { IOC_TYPE_FILENAME, ".", "not a file name" },
    { IOC_TYPE_FILENAME, "..", "not a file name" },
    { IOC_TYPE_FILENAME, "dir/file.exe", "contains a path separator" },
    { IOC_TYPE_FILENAME, "C:\\Windows\\evil.exe", "contains a path separator" },
    { IOC_TYPE_FILENAME, "../evil.sh", "contains a path separator" },
    { IOC_TYPE_FILENAME, A63 A63 A63 A63 "abcd", "longer than 255 bytes" },
    { IOC_TYPE_FILENAME, "tab\there.exe", "invalid character '\\x09'" },
    { IOC_TYPE_FILENAME, "new\nline.exe", "invalid character '\\x0a'" },
    { IOC_TYPE_FILENAME,
      "a\x7f"
      "b",
      "invalid character '\\x7f'" },
    { IOC_TYPE_FILENAME, "bad\xff.exe", "invalid utf-8" },
    { IOC_TYPE_FILENAME, "\xed\xa0\x80.exe", "invalid utf-8" },
    { IOC_TYPE_FILENAME, "", "empty value" },
    { IOC_TYPE_FILENAME, "\"\"", "empty value" },
};

/* Fails the test with the row's input when got differs from want. */
static void expect_str(const char *what, const char *in, const char *got,
                       const char *want)
{
    if (strcmp(got, want) != 0)
        fail_msg("%s('%s'): got '%s', want '%s'", what, in, got, want);
}

static void test_normalize_accepts_and_normalises_valid_values(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(valid_cases) / sizeof(valid_cases[0]); i++) {
        const struct valid_case *tc = &valid_cases[i];
        struct strbuf out = STRBUF_INIT;
        struct iocm_err err = IOCM_ERR_INIT;
        int rc = ioc_normalize(tc->type, tc->in, &out, &err);

        if (rc != 0)
            fail_msg("normalize %s '%s': %s", ioc_type_name(tc->type), tc->in,
                     err.msg);
        expect_str(ioc_type_name(tc->type), tc->in, out.buf, tc->want);
        strbuf_release(&out);
    }
}

static void test_normalize_is_idempotent(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(valid_cases) / sizeof(valid_cases[0]); i++) {
        const struct valid_case *tc = &valid_cases[i];
        struct strbuf out = STRBUF_INIT;
        struct iocm_err err = IOCM_ERR_INIT;

        if (ioc_normalize(tc->type, tc->want, &out, &err) != 0)
            fail_msg("normalize %s '%s': %s", ioc_type_name(tc->type), tc->want,
                     err.msg);
        expect_str("renormalize", tc->want, out.buf, tc->want);
        strbuf_release(&out);
    }
}

static void test_normalize_rejects_invalid_values_with_reason(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(invalid_cases) / sizeof(invalid_cases[0]);
         i++) {
        const struct invalid_case *tc = &invalid_cases[i];
        struct strbuf out = STRBUF_INIT;
        struct iocm_err err = IOCM_ERR_INIT;
        char prefix[64];
        int rc;

        strbuf_addstr(&out, "kept");
        rc = ioc_normalize(tc->type, tc->in, &out, &err);
        if (rc != IOCM_EINVAL)
            fail_msg("normalize %s '%s': got %d ('%s'), want an error",
                     ioc_type_name(tc->type), tc->in, rc, out.buf);
        snprintf(prefix, sizeof(prefix), "invalid %s '",
                 ioc_type_name(tc->type));
        if (strncmp(err.msg, prefix, strlen(prefix)) != 0 ||
            !strstr(err.msg, tc->reason))
            fail_msg("normalize %s '%s': message '%s', want '%s...%s'",
                     ioc_type_name(tc->type), tc->in, err.msg, prefix,
                     tc->reason);
        assert_int_equal(err.code, IOCM_EINVAL);
        assert_null(strchr(err.msg, '\n'));
        expect_str("output after failure", tc->in, out.buf, "kept");
        strbuf_release(&out);
    }
}

static void test_every_type_has_enough_cases(void **state)
{
    size_t valid[IOC_TYPE_COUNT] = { 0 };
    size_t invalid[IOC_TYPE_COUNT] = { 0 };

    (void)state;
    for (size_t i = 0; i < sizeof(valid_cases) / sizeof(valid_cases[0]); i++)
        valid[valid_cases[i].type]++;
    for (size_t i = 0; i < sizeof(invalid_cases) / sizeof(invalid_cases[0]);
         i++)
        invalid[invalid_cases[i].type]++;
    for (int t = 0; t < IOC_TYPE_COUNT; t++) {
        if (valid[t] < MIN_ROWS_PER_TYPE || invalid[t] < MIN_ROWS_PER_TYPE)
            fail_msg("%s: %zu valid and %zu invalid rows",
                     ioc_type_name((enum ioc_type)t), valid[t], invalid[t]);
    }
}

static void test_failed_normalize_leaves_empty_output_untouched(void **state)
{
    static const struct invalid_case cases[] = {
        { IOC_TYPE_IPV4, "1.2.3.256", "" },
        { IOC_TYPE_DOMAIN,
          "b\xc3\xbc"
          "cher..example",
          "" },
        { IOC_TYPE_DOMAIN, "\xe2\x91\xb4.com", "" },
        { IOC_TYPE_URL, "http://a..b/", "" },
        { IOC_TYPE_URL, "http://2130706433/", "" },
        { IOC_TYPE_EMAIL,
          "user@b\xc3\xbc"
          "cher..example",
          "" },
        { IOC_TYPE_EMAIL, A63 "b@" A63 "." A63 "." A63 ".com", "" },
        { IOC_TYPE_SHA256, "abc", "" },
        { IOC_TYPE_CIDR, "10.0.0.0/33", "" },
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct strbuf out = STRBUF_INIT;

        assert_int_equal(ioc_normalize(cases[i].type, cases[i].in, &out, NULL),
                         IOCM_EINVAL);
        /* Not even an allocation: the buffer is still the shared empty
         * string. */
        assert_int_equal(out.alloc, 0);
        assert_int_equal(out.len, 0);
        assert_string_equal(out.buf, "");
    }
}

static void test_normalize_appends_to_existing_output(void **state)
{
    struct strbuf out = STRBUF_INIT;

    (void)state;
    strbuf_addstr(&out, "ip=");
    assert_int_equal(ioc_normalize(IOC_TYPE_IPV4, "1[.]2[.]3[.]4", &out, NULL),
                     0);
    strbuf_addstr(&out, " url=");
    assert_int_equal(
        ioc_normalize(IOC_TYPE_URL, "hxxp://Evil[.]Example", &out, NULL), 0);
    assert_string_equal(out.buf, "ip=1.2.3.4 url=http://evil.example/");
    strbuf_release(&out);
}

static const struct {
    enum ioc_type type;
    const char *in;
    const char *msg;
} exact_messages[] = {
    { IOC_TYPE_DOMAIN, "a..b", "invalid domain 'a..b': empty label" },
    { IOC_TYPE_IPV4, "1.2.3.256",
      "invalid ipv4 '1.2.3.256': octet out of range" },
    { IOC_TYPE_SHA256, "abc",
      "invalid sha256 'abc': expected 64 hex digits, got 3" },
    /* The value is quoted as refanged. */
    { IOC_TYPE_DOMAIN, "a[.][.]b", "invalid domain 'a..b': empty label" },
    { IOC_TYPE_EMAIL, "x@a..b", "invalid email 'x@a..b': domain: empty label" },
    { IOC_TYPE_URL, "http://a..b/x",
      "invalid url 'http://a..b/x': host: empty label" },
    /* Control bytes and invalid UTF-8 are escaped, valid UTF-8 kept. */
    { IOC_TYPE_FILENAME,
      "a\x01"
      "b",
      "invalid filename 'a\\x01b': invalid "
      "character '\\x01'" },
    { IOC_TYPE_DOMAIN, "\xff.com",
      "invalid domain '\\xff.com': invalid utf-8" },
    { IOC_TYPE_DOMAIN, "b\xc3\xbc_cher.example",
      "invalid domain 'b\xc3\xbc_cher.example': invalid character '_'" },
};

static void test_error_messages_name_value_and_reason(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(exact_messages) / sizeof(exact_messages[0]);
         i++) {
        struct strbuf out = STRBUF_INIT;
        struct iocm_err err = IOCM_ERR_INIT;

        assert_int_equal(ioc_normalize(exact_messages[i].type,
                                       exact_messages[i].in, &out, &err),
                         IOCM_EINVAL);
        expect_str("message", exact_messages[i].in, err.msg,
                   exact_messages[i].msg);
    }
}

static void test_error_message_truncates_long_values(void **state)
{
    struct strbuf in = STRBUF_INIT, out = STRBUF_INIT, want = STRBUF_INIT;
    struct iocm_err err = IOCM_ERR_INIT;

    (void)state;
    for (int i = 0; i < 100; i++)
        strbuf_addstr(&in, "ab");
    strbuf_addstr(&in, "_.example");
    assert_int_equal(ioc_normalize(IOC_TYPE_DOMAIN, in.buf, &out, &err),
                     IOCM_EINVAL);
    strbuf_addstr(&want, "invalid domain '");
    strbuf_add(&want, in.buf, 80);
    strbuf_addstr(&want, "...': invalid character '_'");
    assert_string_equal(err.msg, want.buf);

    /* A cut never splits a UTF-8 sequence: 79 bytes, then a 2-byte one. */
    strbuf_reset(&in);
    strbuf_reset(&want);
    for (int i = 0; i < 79; i++)
        strbuf_addch(&in, 'a');
    strbuf_addstr(&in, "\xc3\xbc_.example");
    assert_int_equal(ioc_normalize(IOC_TYPE_DOMAIN, in.buf, &out, &err),
                     IOCM_EINVAL);
    strbuf_addstr(&want, "invalid domain '");
    strbuf_add(&want, in.buf, 79);
    strbuf_addstr(&want, "...': invalid character '_'");
    assert_string_equal(err.msg, want.buf);
    assert_int_equal(out.len, 0);
    strbuf_release(&in);
    strbuf_release(&want);
}

static void test_values_longer_than_the_limit_are_refused(void **state)
{
    struct strbuf in = STRBUF_INIT, out = STRBUF_INIT;
    struct iocm_err err = IOCM_ERR_INIT;

    (void)state;
    strbuf_addstr(&in, "http://example.com/");
    while (in.len < IOC_VALUE_MAX)
        strbuf_addch(&in, 'a');
    assert_int_equal(ioc_normalize(IOC_TYPE_URL, in.buf, &out, &err), 0);
    assert_int_equal(out.len, IOC_VALUE_MAX);
    strbuf_reset(&out);
    strbuf_addch(&in, 'a');
    assert_int_equal(ioc_normalize(IOC_TYPE_URL, in.buf, &out, &err),
                     IOCM_EINVAL);
    assert_non_null(strstr(err.msg, "longer than 2048 bytes"));
    /* Refanging would shorten it, so the limit applies afterwards. */
    strbuf_reset(&in);
    strbuf_addstr(&in, "hxxp://example[.]com/");
    while (in.len < IOC_VALUE_MAX + 2)
        strbuf_addch(&in, 'a');
    assert_int_equal(ioc_normalize(IOC_TYPE_URL, in.buf, &out, &err), 0);
    strbuf_release(&in);
    strbuf_release(&out);
}

static const struct {
    const char *in;
    const char *want;
} refang_cases[] = {
    { "hxxp://evil[.]example", "http://evil.example" },
    { "hXXps://evil.example", "https://evil.example" },
    { "HXXPS://x", "https://x" },
    { "fxp://files[.]example", "ftp://files.example" },
    { "hxxp[:]//evil(.)example", "http://evil.example" },
    { "hxxps[://]evil{.}example", "https://evil.example" },
    { "http(:)//evil.example", "http://evil.example" },
    { "evil[dot]example", "evil.example" },
    { "evil(DOT)example", "evil.example" },
    { "evil[ dot ]example{dot}com", "evil.example.com" },
    { "evil[ . ]example", "evil.example" },
    /* Bare " dot " is prose, not defanging. */
    { "evil dot example", "evil dot example" },
    { "user[@]evil.example", "user@evil.example" },
    { "user[at]evil.example", "user@evil.example" },
    { "user(at)evil.example", "user@evil.example" },
    { "user{AT}evil.example", "user@evil.example" },
    { "user at evil.example", "user at evil.example" },
    { "user [at] example [dot] com", "user@example.com" },
    { "user [at]example", "user @example" },
    { "hxxp:\\/\\/evil.example\\/x", "http://evil.example/x" },
    { "2001[:]db8[:][:]1", "2001:db8::1" },
    { "http://[2001:db8::1]/", "http://[2001:db8::1]/" },
    { "  <hxxp://x[.]y>  ", "http://x.y" },
    { "\"1.2.3.4\"", "1.2.3.4" },
    { "'1.2.3.4'", "1.2.3.4" },
    { "`evil.com`", "evil.com" },
    { "\"<evil.com>\"", "evil.com" },
    { "\t1.2.3.4\r\n", "1.2.3.4" },
    { "\xc2\xa0"
      "evil.example\xc2\xa0",
      "evil.example" },
    { "http:\\/\\/evil.example\\/x", "http://evil.example/x" },
    { "evil\\.example", "evil.example" },
    { "[.]", "." },
    { "", "" },
    { "<>", "" },
    { "a[b]c", "a[b]c" },
    { "a[.", "a[." },
    { "hxxp://evil.example/hxxp", "http://evil.example/hxxp" },
    { "meow://x", "meow://x" },
    { "\"unbalanced", "\"unbalanced" },
    { "b\xc3\xbc"
      "cher[.]example",
      "b\xc3\xbc"
      "cher.example" },
};

static void test_refang_undoes_common_defanging(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(refang_cases) / sizeof(refang_cases[0]);
         i++) {
        struct strbuf out = STRBUF_INIT;

        strbuf_addstr(&out, ">");
        ioc_refang(refang_cases[i].in, &out);
        assert_int_equal(out.len, strlen(out.buf));
        expect_str("refang", refang_cases[i].in, out.buf + 1,
                   refang_cases[i].want);
        strbuf_release(&out);
    }
}

/* IOC_TYPE_COUNT: detection fails. */
static const struct {
    const char *in;
    enum ioc_type want;
} detect_cases[] = {
    { "CVE-2021-44228", IOC_TYPE_CVE },
    { "cve-2021-1", IOC_TYPE_CVE },
    { "AS15169", IOC_TYPE_ASN },
    { "as1", IOC_TYPE_ASN },
    { "d41d8cd98f00b204e9800998ecf8427e", IOC_TYPE_MD5 },
    { "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709", IOC_TYPE_SHA1 },
    { "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      IOC_TYPE_SHA256 },
    { "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d1"
      "3c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e",
      IOC_TYPE_SHA512 },
    { "96:s4Ud1Lj96tHHlZDrwciQmA:s4Ud1Lj96tHHlZDrwciQmA", IOC_TYPE_SSDEEP },
    { "3:a:", IOC_TYPE_SSDEEP },
    { "http://evil.example/x", IOC_TYPE_URL },
    { "https://b\xc3\xbc"
      "cher.example/",
      IOC_TYPE_URL },
    { "ftp://x.example", IOC_TYPE_URL },
    { "tcp://198.51.100.7:4444", IOC_TYPE_URL },
    { "user@example.com", IOC_TYPE_EMAIL },
    { "a@b@c", IOC_TYPE_EMAIL },
    { "10.0.0.0/8", IOC_TYPE_CIDR },
    { "2001:db8::/32", IOC_TYPE_CIDR },
    { "1.2.3.4", IOC_TYPE_IPV4 },
    { "1.2.3.256", IOC_TYPE_IPV4 },
    { "010.1.1.1", IOC_TYPE_IPV4 },
    { "2001:db8::1", IOC_TYPE_IPV6 },
    { "::1", IOC_TYPE_IPV6 },
    { "::", IOC_TYPE_IPV6 },
    { "::ffff:1.2.3.4", IOC_TYPE_IPV6 },
    { "fe80::1%eth0", IOC_TYPE_IPV6 },
    { "1:2:3:4:5:6:7:8", IOC_TYPE_IPV6 },
    { "1:2:3:4:5:6:1.2.3.4", IOC_TYPE_IPV6 },
    { "evil.com", IOC_TYPE_DOMAIN },
    { "EVIL.COM.", IOC_TYPE_DOMAIN },
    { "b\xc3\xbc"
      "cher.example",
      IOC_TYPE_DOMAIN },
    { "xn--bcher-kva.example", IOC_TYPE_DOMAIN },
    { "1.0.0-beta", IOC_TYPE_DOMAIN },
    { "_dmarc.example.com", IOC_TYPE_DOMAIN },
    { "evil_corp.com", IOC_TYPE_DOMAIN },
    /* .zip, .sh and .py are TLDs: such names are domains */
    { "update.zip", IOC_TYPE_DOMAIN },
    { "setup.sh", IOC_TYPE_DOMAIN },
    { "invoice.pdf.exe", IOC_TYPE_FILENAME },
    { "payload.dll", IOC_TYPE_FILENAME },
    { "INVOICE.PDF", IOC_TYPE_FILENAME },
    { "run.ps1", IOC_TYPE_FILENAME },
    { "my_tool.py", IOC_TYPE_FILENAME },
    { "report final.docx", IOC_TYPE_FILENAME },
    { "archive 2024.zip", IOC_TYPE_FILENAME },
    { "15169", IOC_TYPE_COUNT },
    { "1.2.3.4.5", IOC_TYPE_COUNT },
    { "v2.0", IOC_TYPE_COUNT },
    { "3.14", IOC_TYPE_COUNT },
    { "1.2.3", IOC_TYPE_COUNT },
    { "localhost", IOC_TYPE_COUNT },
    { "README", IOC_TYPE_COUNT },
    { "", IOC_TYPE_COUNT },
    { "evil.example/login.php", IOC_TYPE_COUNT },
    { "javascript:alert(1)", IOC_TYPE_COUNT },
    { "12:30:45", IOC_TYPE_COUNT },
    { "00:11:22:33:44:55", IOC_TYPE_COUNT },
    { "da39a3ee5e6b4b0d3255bfef95601890afd8070", IOC_TYPE_COUNT },
    { "AS", IOC_TYPE_COUNT },
    { "version 1.2", IOC_TYPE_COUNT },
};

static void test_detect_picks_the_type_by_shape(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(detect_cases) / sizeof(detect_cases[0]);
         i++) {
        struct iocm_err err = IOCM_ERR_INIT;
        enum ioc_type got = IOC_TYPE_COUNT;
        int rc = ioc_detect(detect_cases[i].in, &got, &err);

        if (detect_cases[i].want == IOC_TYPE_COUNT) {
            if (rc != IOCM_EINVAL)
                fail_msg("detect('%s'): got %s, want nothing",
                         detect_cases[i].in, ioc_type_name(got));
            assert_non_null(strstr(err.msg, "invalid indicator '"));
            continue;
        }
        if (rc != 0)
            fail_msg("detect('%s'): %s", detect_cases[i].in, err.msg);
        if (got != detect_cases[i].want)
            fail_msg("detect('%s'): got %s, want %s", detect_cases[i].in,
                     ioc_type_name(got), ioc_type_name(detect_cases[i].want));
    }
}

static void test_detect_explains_what_is_missing(void **state)
{
    struct iocm_err err = IOCM_ERR_INIT;
    enum ioc_type t;

    (void)state;
    assert_int_equal(ioc_detect("evil.example/login.php", &t, &err),
                     IOCM_EINVAL);
    assert_string_equal(err.msg, "invalid indicator 'evil.example/login.php': "
                                 "looks like a url without a scheme");
    assert_int_equal(ioc_detect("v2.0", &t, &err), IOCM_EINVAL);
    assert_string_equal(err.msg, "invalid indicator 'v2.0': not a recognised "
                                 "indicator type");
}

static const struct {
    const char *in;
    enum ioc_type want_type;
    const char *want;
} parse_cases[] = {
    { "hxxps://evil[.]example/a?b=1", IOC_TYPE_URL,
      "https://evil.example/a?b=1" },
    { "hxxp://b\xc3\xbc"
      "cher[.]example/",
      IOC_TYPE_URL, "http://xn--bcher-kva.example/" },
    { "user[@]Evil[.]Example", IOC_TYPE_EMAIL, "user@evil.example" },
    { "198[.]51[.]100[.]7", IOC_TYPE_IPV4, "198.51.100.7" },
    { "2001[:]DB8[:][:]1", IOC_TYPE_IPV6, "2001:db8::1" },
    { "10.1.2.3/8", IOC_TYPE_CIDR, "10.0.0.0/8" },
    { "EVIL[.]COM", IOC_TYPE_DOMAIN, "evil.com" },
    { "B\xc3\x9c"
      "CHER.example",
      IOC_TYPE_DOMAIN, "xn--bcher-kva.example" },
    { " D41D8CD98F00B204E9800998ECF8427E ", IOC_TYPE_MD5,
      "d41d8cd98f00b204e9800998ecf8427e" },
    { "cve-2021-44228", IOC_TYPE_CVE, "CVE-2021-44228" },
    { "as15169", IOC_TYPE_ASN, "AS15169" },
    { "invoice[.]pdf[.]exe", IOC_TYPE_FILENAME, "invoice.pdf.exe" },
    { "96:abc:def", IOC_TYPE_SSDEEP, "96:abc:def" },
};

static void test_parse_value_refangs_detects_and_normalises(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
        struct strbuf out = STRBUF_INIT;
        struct iocm_err err = IOCM_ERR_INIT;
        enum ioc_type t = IOC_TYPE_COUNT;

        if (ioc_parse_value(parse_cases[i].in, &t, &out, &err) != 0)
            fail_msg("parse('%s'): %s", parse_cases[i].in, err.msg);
        assert_int_equal(t, parse_cases[i].want_type);
        expect_str("parse", parse_cases[i].in, out.buf, parse_cases[i].want);
        strbuf_release(&out);
    }
}

static void test_parse_value_with_type_skips_detection(void **state)
{
    struct strbuf out = STRBUF_INIT;
    struct iocm_err err = IOCM_ERR_INIT;
    enum ioc_type t = IOC_TYPE_ASN;

    (void)state;
    /* A bare number detects as nothing, but is an ASN when told so. */
    assert_int_equal(ioc_parse_value("15169", &t, &out, &err), 0);
    assert_string_equal(out.buf, "AS15169");
    strbuf_reset(&out);
    t = IOC_TYPE_COUNT;
    assert_int_equal(ioc_parse_value("15169", &t, &out, &err), IOCM_EINVAL);
    assert_int_equal(out.len, 0);
    /* update.zip detects as a domain, but is a file name when told so. */
    t = IOC_TYPE_FILENAME;
    assert_int_equal(ioc_parse_value("update.zip", &t, &out, &err), 0);
    assert_string_equal(out.buf, "update.zip");
    strbuf_reset(&out);
    /* A detected type is reported with the validator's error. */
    t = IOC_TYPE_COUNT;
    assert_int_equal(ioc_parse_value("1[.]2[.]3[.]256", &t, &out, &err),
                     IOCM_EINVAL);
    assert_int_equal(t, IOC_TYPE_IPV4);
    assert_string_equal(err.msg, "invalid ipv4 '1.2.3.256': octet out of "
                                 "range");
    /* ioc_normalize never detects. */
    assert_int_equal(ioc_normalize(IOC_TYPE_COUNT, "1.2.3.4", &out, &err),
                     IOCM_EINVAL);
    strbuf_release(&out);
}

static const struct {
    enum ioc_type type;
    const char *value;
    const char *want;
} defang_cases[] = {
    { IOC_TYPE_URL, "https://evil.example/path",
      "hxxps://evil[.]example/path" },
    { IOC_TYPE_URL, "http://user@evil.example:8080/a.b?c.d#e.f",
      "hxxp://user@evil[.]example:8080/a.b?c.d#e.f" },
    { IOC_TYPE_URL, "http://[2001:db8::1]:8080/",
      "hxxp://[2001[:]db8[:][:]1]:8080/" },
    { IOC_TYPE_URL, "ftp://files.example.org/x",
      "fxp://files[.]example[.]org/x" },
    { IOC_TYPE_URL, "ftps://files.example.org/x",
      "fxps://files[.]example[.]org/x" },
    { IOC_TYPE_URL, "wss://chat.example/", "wss://chat[.]example/" },
    { IOC_TYPE_URL, "http://198.51.100.7/", "hxxp://198[.]51[.]100[.]7/" },
    { IOC_TYPE_DOMAIN, "evil.example", "evil[.]example" },
    { IOC_TYPE_IPV4, "198.51.100.7", "198[.]51[.]100[.]7" },
    { IOC_TYPE_IPV6, "2001:db8::1", "2001[:]db8[:][:]1" },
    { IOC_TYPE_CIDR, "10.0.0.0/8", "10[.]0[.]0[.]0/8" },
    { IOC_TYPE_CIDR, "2001:db8::/32", "2001[:]db8[:][:]/32" },
    { IOC_TYPE_EMAIL, "first.last@evil.example",
      "first.last[@]evil[.]example" },
    { IOC_TYPE_MD5, "d41d8cd98f00b204e9800998ecf8427e",
      "d41d8cd98f00b204e9800998ecf8427e" },
    { IOC_TYPE_SSDEEP, "3:abc:def", "3:abc:def" },
    { IOC_TYPE_CVE, "CVE-2021-44228", "CVE-2021-44228" },
    { IOC_TYPE_ASN, "AS15169", "AS15169" },
    { IOC_TYPE_FILENAME, "invoice.pdf.exe", "invoice.pdf.exe" },
};

static void test_defang_breaks_links_in_hosts_only(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(defang_cases) / sizeof(defang_cases[0]);
         i++) {
        struct strbuf out = STRBUF_INIT;

        ioc_defang(defang_cases[i].type, defang_cases[i].value, &out);
        expect_str("defang", defang_cases[i].value, out.buf,
                   defang_cases[i].want);
        strbuf_release(&out);
    }
}

static void test_defanged_values_refang_to_themselves(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(valid_cases) / sizeof(valid_cases[0]); i++) {
        const struct valid_case *tc = &valid_cases[i];
        struct strbuf defanged = STRBUF_INIT, out = STRBUF_INIT;
        struct iocm_err err = IOCM_ERR_INIT;

        ioc_defang(tc->type, tc->want, &defanged);
        if (ioc_normalize(tc->type, defanged.buf, &out, &err) != 0)
            fail_msg("normalize(defang('%s')) = '%s': %s", tc->want,
                     defanged.buf, err.msg);
        expect_str("normalize(defang)", defanged.buf, out.buf, tc->want);
        strbuf_release(&defanged);
        strbuf_release(&out);
    }
}

static void test_type_names_parse_back(void **state)
{
    static const char *const names[IOC_TYPE_COUNT] = {
        "ipv4", "ipv6",   "cidr",   "domain", "url", "email", "md5",
        "sha1", "sha256", "sha512", "ssdeep", "cve", "asn",   "filename",
    };
    struct iocm_err err = IOCM_ERR_INIT;
    enum ioc_type t;

    (void)state;
    for (int i = 0; i < IOC_TYPE_COUNT; i++) {
        assert_string_equal(ioc_type_name((enum ioc_type)i), names[i]);
        assert_int_equal(ioc_type_parse(names[i], &t, &err), 0);
        assert_int_equal(t, i);
    }
    assert_int_equal(ioc_type_parse("IPv6", &t, &err), 0);
    assert_int_equal(t, IOC_TYPE_IPV6);
    assert_int_equal(ioc_type_parse("SHA256", &t, &err), 0);
    assert_int_equal(t, IOC_TYPE_SHA256);
    assert_string_equal(ioc_type_name(IOC_TYPE_COUNT), "unknown");
}

static const char *const bad_types[] = {
    "ip", "hash", "", "sha-256", " ipv4", "ipv4 ", "hostname",
};

static void test_type_parse_lists_accepted_names(void **state)
{
    struct iocm_err err = IOCM_ERR_INIT;
    enum ioc_type t = IOC_TYPE_MD5;

    (void)state;
    for (size_t i = 0; i < sizeof(bad_types) / sizeof(bad_types[0]); i++) {
        assert_int_equal(ioc_type_parse(bad_types[i], &t, &err), IOCM_EINVAL);
        assert_int_equal(t, IOC_TYPE_MD5);
    }
    assert_int_equal(ioc_type_parse("ip", &t, &err), IOCM_EINVAL);
    assert_string_equal(err.msg,
                        "invalid type 'ip': expected one of ipv4, ipv6, cidr, "
                        "domain, url, email, md5, sha1, sha256, sha512, "
                        "ssdeep, cve, asn, filename");
}

static const struct {
    const char *in;
    int want; /* -2: invalid */
} severity_cases[] = {
    { "low", IOC_SEV_LOW },   { "MEDIUM", IOC_SEV_MEDIUM },
    { "High", IOC_SEV_HIGH }, { "critical", IOC_SEV_CRITICAL },
    { "unset", -2 },          { "", -2 },
    { "severe", -2 },         { "1", -2 },
    { "crit", -2 },
};

static void test_severity_parse(void **state)
{
    struct iocm_err err = IOCM_ERR_INIT;

    (void)state;
    for (size_t i = 0; i < sizeof(severity_cases) / sizeof(severity_cases[0]);
         i++) {
        enum ioc_severity got = IOC_SEV_UNSET;
        int rc = ioc_severity_parse(severity_cases[i].in, &got, &err);

        if (severity_cases[i].want == -2) {
            assert_int_equal(rc, IOCM_EINVAL);
            assert_non_null(
                strstr(err.msg, "expected one of low, medium, high, critical"));
        } else {
            assert_int_equal(rc, 0);
            assert_int_equal(got, severity_cases[i].want);
        }
    }
    assert_string_equal(ioc_severity_name(IOC_SEV_LOW), "low");
    assert_string_equal(ioc_severity_name(IOC_SEV_CRITICAL), "critical");
    assert_string_equal(ioc_severity_name(IOC_SEV_UNSET), "unset");
    assert_string_equal(ioc_severity_name((enum ioc_severity)9), "unknown");
}

static const struct {
    const char *in;
    int want; /* -2: invalid */
} tlp_cases[] = {
    { "CLEAR", TLP_CLEAR },
    { "clear", TLP_CLEAR },
    { "TLP:CLEAR", TLP_CLEAR },
    { "white", TLP_CLEAR },
    { "TLP:WHITE", TLP_CLEAR },
    { "green", TLP_GREEN },
    { "tlp:Green", TLP_GREEN },
    { "amber", TLP_AMBER },
    { "TLP:AMBER", TLP_AMBER },
    { "amber+strict", TLP_AMBER_STRICT },
    { "TLP:AMBER+STRICT", TLP_AMBER_STRICT },
    { "red", TLP_RED },
    { "TLP:RED", TLP_RED },
    { "UNSET", -2 },
    { "TLP:", -2 },
    { "orange", -2 },
    { "amber-strict", -2 },
    { "TLP:TLP:RED", -2 },
    { "", -2 },
    { "TLP AMBER", -2 },
    { "amber+", -2 },
};

static void test_tlp_parse_accepts_labels_and_white(void **state)
{
    struct iocm_err err = IOCM_ERR_INIT;

    (void)state;
    for (size_t i = 0; i < sizeof(tlp_cases) / sizeof(tlp_cases[0]); i++) {
        enum tlp got = TLP_UNSET;
        int rc = tlp_parse(tlp_cases[i].in, &got, &err);

        if (tlp_cases[i].want == -2) {
            if (rc != IOCM_EINVAL)
                fail_msg("tlp_parse('%s') accepted", tlp_cases[i].in);
            assert_int_equal(got, TLP_UNSET);
        } else {
            if (rc != 0 || (int)got != tlp_cases[i].want)
                fail_msg("tlp_parse('%s'): rc %d, got %d", tlp_cases[i].in, rc,
                         got);
        }
    }
    assert_int_equal(tlp_parse("orange", &(enum tlp){ 0 }, &err), IOCM_EINVAL);
    assert_string_equal(err.msg, "invalid tlp 'orange': expected one of CLEAR, "
                                 "GREEN, AMBER, AMBER+STRICT, RED");
    assert_string_equal(tlp_name(TLP_CLEAR), "CLEAR");
    assert_string_equal(tlp_name(TLP_AMBER_STRICT), "AMBER+STRICT");
    assert_string_equal(tlp_name(TLP_RED), "RED");
    assert_string_equal(tlp_name(TLP_UNSET), "UNSET");
    for (enum tlp t = TLP_CLEAR; t <= TLP_RED; t++) {
        enum tlp back = TLP_UNSET;

        assert_int_equal(tlp_parse(tlp_name(t), &back, &err), 0);
        assert_int_equal(back, t);
    }
}

static const struct {
    const char *in;
    int want; /* -2: invalid */
} status_cases[] = {
    { "draft", IOC_STATUS_DRAFT },
    { "review", IOC_STATUS_REVIEW },
    { "active", IOC_STATUS_ACTIVE },
    { "ACTIVE", IOC_STATUS_ACTIVE },
    { "archived", IOC_STATUS_ARCHIVED },
    { "Expired", IOC_STATUS_EXPIRED },
    { "unset", -2 },
    { "deleted", -2 },
    { "", -2 },
    { "activ", -2 },
};

static void test_status_parse(void **state)
{
    struct iocm_err err = IOCM_ERR_INIT;

    (void)state;
    for (size_t i = 0; i < sizeof(status_cases) / sizeof(status_cases[0]);
         i++) {
        enum ioc_status got = IOC_STATUS_UNSET;
        int rc = ioc_status_parse(status_cases[i].in, &got, &err);

        if (status_cases[i].want == -2) {
            assert_int_equal(rc, IOCM_EINVAL);
            assert_non_null(strstr(err.msg, "expected one of draft, review, "
                                            "active, archived, expired"));
        } else {
            assert_int_equal(rc, 0);
            assert_int_equal(got, status_cases[i].want);
        }
    }
    for (enum ioc_status s = IOC_STATUS_DRAFT; s <= IOC_STATUS_EXPIRED; s++) {
        enum ioc_status back = IOC_STATUS_UNSET;

        assert_int_equal(ioc_status_parse(ioc_status_name(s), &back, &err), 0);
        assert_int_equal(back, s);
    }
    assert_string_equal(ioc_status_name(IOC_STATUS_UNSET), "unset");
}

static const struct {
    const char *in;
    int want; /* -2: invalid */
} confidence_cases[] = {
    { "0", 0 },     { "100", 100 }, { "50", 50 },  { "050", 50 },
    { "7", 7 },     { "101", -2 },  { "-1", -2 },  { "", -2 },
    { "50.0", -2 }, { "+5", -2 },   { " 5", -2 },  { "5 ", -2 },
    { "abc", -2 },  { "1000", -2 }, { "1e2", -2 }, { "0x10", -2 },
};

static void test_confidence_parse_takes_integers_0_to_100(void **state)
{
    struct iocm_err err = IOCM_ERR_INIT;

    (void)state;
    for (size_t i = 0;
         i < sizeof(confidence_cases) / sizeof(confidence_cases[0]); i++) {
        int got = -1;
        int rc = ioc_confidence_parse(confidence_cases[i].in, &got, &err);

        if (confidence_cases[i].want == -2) {
            if (rc != IOCM_EINVAL)
                fail_msg("confidence '%s' accepted", confidence_cases[i].in);
            assert_int_equal(got, -1);
            assert_non_null(
                strstr(err.msg, "expected an integer from 0 to 100"));
        } else {
            assert_int_equal(rc, 0);
            assert_int_equal(got, confidence_cases[i].want);
        }
    }
}

static void test_init_marks_unset_and_release_frees(void **state)
{
    struct ioc ioc;

    (void)state;
    memset(&ioc, 0x55, sizeof(ioc));
    ioc_init(&ioc);
    assert_int_equal(ioc.type, IOC_TYPE_COUNT);
    assert_null(ioc.value);
    assert_int_equal(ioc.severity, IOC_SEV_UNSET);
    assert_int_equal(ioc.confidence, -1);
    assert_int_equal(ioc.tlp, TLP_UNSET);
    assert_int_equal(ioc.status, IOC_STATUS_UNSET);
    assert_int_equal(ioc.tags.nr, 0);
    assert_null(ioc.tags.v[0]);
    assert_false(ioc.is_false_positive);
    assert_false(ioc.no_expiry);
    assert_int_equal(ioc.first_seen, 0);
    assert_int_equal(ioc.expires_at, 0);
    assert_null(ioc.source);
    assert_null(ioc.created_by);

    ioc.value = strdup("evil.example");
    ioc.source = strdup("feed");
    ioc.description = strdup("d");
    ioc.created_by = strdup("alice");
    ioc.updated_by = strdup("bob");
    ioc.expiry_reason = strdup("ttl");
    strvec_push(&ioc.tags, "apt");
    ioc.severity = IOC_SEV_HIGH;
    ioc.confidence = 80;
    ioc_release(&ioc);
    assert_null(ioc.value);
    assert_null(ioc.source);
    assert_int_equal(ioc.tags.nr, 0);
    assert_int_equal(ioc.severity, IOC_SEV_UNSET);
    assert_int_equal(ioc.confidence, -1);
    /* Released twice is harmless. */
    ioc_release(&ioc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normalize_accepts_and_normalises_valid_values),
        cmocka_unit_test(test_normalize_is_idempotent),
        cmocka_unit_test(test_normalize_rejects_invalid_values_with_reason),
        cmocka_unit_test(test_every_type_has_enough_cases),
        cmocka_unit_test(test_failed_normalize_leaves_empty_output_untouched),
        cmocka_unit_test(test_normalize_appends_to_existing_output),
        cmocka_unit_test(test_error_messages_name_value_and_reason),
        cmocka_unit_test(test_error_message_truncates_long_values),
        cmocka_unit_test(test_values_longer_than_the_limit_are_refused),
        cmocka_unit_test(test_refang_undoes_common_defanging),
        cmocka_unit_test(test_detect_picks_the_type_by_shape),
        cmocka_unit_test(test_detect_explains_what_is_missing),
        cmocka_unit_test(test_parse_value_refangs_detects_and_normalises),
        cmocka_unit_test(test_parse_value_with_type_skips_detection),
        cmocka_unit_test(test_defang_breaks_links_in_hosts_only),
        cmocka_unit_test(test_defanged_values_refang_to_themselves),
        cmocka_unit_test(test_type_names_parse_back),
        cmocka_unit_test(test_type_parse_lists_accepted_names),
        cmocka_unit_test(test_severity_parse),
        cmocka_unit_test(test_tlp_parse_accepts_labels_and_white),
        cmocka_unit_test(test_status_parse),
        cmocka_unit_test(test_confidence_parse_takes_integers_0_to_100),
        cmocka_unit_test(test_init_marks_unset_and_release_frees),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
