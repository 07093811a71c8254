/*
 * netaddr.c - which peer addresses a validation may connect to on a
 * certificate's behalf. The URLs in a document's certificates (AIA OCSP,
 * caIssuers, CRL distribution points; RFC 5280 §4.2.2.1, §4.2.1.13) are
 * chosen by whoever made the certificates; a validator that follows them
 * to any address lets a document probe the machine it is checked on and
 * its network (server-side request forgery). Only globally reachable
 * unicast addresses are allowed; the special-purpose ranges of the IANA
 * registries (RFC 6890, with RFC 8190 updates) are refused, by name:
 *
 *   IPv4: 0.0.0.0/8 (this network; 0.0.0.0 unspecified), 10/8, 172.16/12,
 *   192.168/16 (private, RFC 1918), 100.64/10 (shared address space,
 *   CGNAT, RFC 6598), 127/8 (loopback), 169.254/16 (link-local, RFC 3927:
 *   also cloud metadata services), 192.0.0/24 (IETF protocol
 *   assignments), 192.0.2/24, 198.51.100/24, 203.0.113/24 (documentation,
 *   RFC 5737), 192.88.99/24 (6to4 relay anycast, RFC 7526), 198.18/15
 *   (benchmarking, RFC 2544), 224/4 (multicast), 240/4 (reserved),
 *   255.255.255.255 (broadcast).
 *
 *   IPv6: :: (unspecified), ::1 (loopback), ::ffff:0:0/96 (IPv4-mapped:
 *   judged by the IPv4 address inside), 64:ff9b::/96 (NAT64, RFC 6052:
 *   judged by the IPv4 address inside), 64:ff9b:1::/48 (local-use NAT64,
 *   RFC 8215), 100::/64 (discard-only, RFC 6666), 2001::/23 (IETF
 *   protocol assignments: Teredo, benchmarking, ORCHID...), 2001:db8::/32
 *   and 3fff::/20 (documentation, RFC 3849, RFC 9637), 2002::/16 (6to4,
 *   RFC 3056: judged by the IPv4 address inside), fc00::/7 (unique local,
 *   RFC 4193), fe80::/10 (link-local), fec0::/10 (site-local, deprecated),
 *   ff00::/8 (multicast), and everything else outside 2000::/3 (the only
 *   global unicast block; the rest is reserved by the IETF).
 *
 * The rules are one table per family; the first matching row decides, so
 * narrower rows come before the wider ones that contain them.
 */
#include <string.h>
#include <sys/socket.h>

#include "cms/cms.h"

typedef struct v4_rule {
    unsigned char net[4];
    unsigned bits;
    const char *why; /* NULL: allowed */
} v4_rule;

static const v4_rule V4[] = {
    {{0, 0, 0, 0}, 32, "unspecified address"},
    {{0, 0, 0, 0}, 8, "'this network' address (0.0.0.0/8)"},
    {{10, 0, 0, 0}, 8, "private address (RFC 1918)"},
    {{100, 64, 0, 0}, 10, "shared address space (CGNAT, 100.64.0.0/10)"},
    {{127, 0, 0, 0}, 8, "loopback address"},
    {{169, 254, 0, 0}, 16, "link-local address"},
    {{172, 16, 0, 0}, 12, "private address (RFC 1918)"},
    {{192, 0, 0, 0}, 24, "IETF protocol assignment (192.0.0.0/24)"},
    {{192, 0, 2, 0}, 24, "documentation address"},
    {{192, 88, 99, 0}, 24, "reserved address (6to4 relay anycast)"},
    {{192, 168, 0, 0}, 16, "private address (RFC 1918)"},
    {{198, 18, 0, 0}, 15, "benchmarking address (198.18.0.0/15)"},
    {{198, 51, 100, 0}, 24, "documentation address"},
    {{203, 0, 113, 0}, 24, "documentation address"},
    {{224, 0, 0, 0}, 4, "multicast address"},
    {{255, 255, 255, 255}, 32, "broadcast address"},
    {{240, 0, 0, 0}, 4, "reserved address (240.0.0.0/4)"},
};

/* Where an IPv6 range carries an IPv4 address to judge instead. */
enum { EMBED_NONE = -1 };

typedef struct v6_rule {
    unsigned char net[16];
    unsigned bits;
    const char *why; /* NULL: allowed, unless embed says otherwise */
    int embed;       /* byte offset of an IPv4 address inside, or EMBED_NONE */
} v6_rule;

static const v6_rule V6[] = {
    {{0}, 128, "unspecified address", EMBED_NONE},
    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 128, "loopback address", EMBED_NONE},
    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff}, 96, NULL, 12}, /* IPv4-mapped */
    {{0, 0x64, 0xff, 0x9b, 0, 1}, 48, "private address (local-use NAT64)", EMBED_NONE},
    {{0, 0x64, 0xff, 0x9b}, 96, NULL, 12},                                    /* NAT64 */
    {{0x01, 0}, 64, "reserved address (discard-only, 100::/64)", EMBED_NONE}, /* 100::/64 */
    {{0x20, 0x01, 0x0d, 0xb8}, 32, "documentation address", EMBED_NONE},
    {{0x20, 0x01, 0}, 23, "IETF protocol assignment (2001::/23)", EMBED_NONE},
    {{0x20, 0x02}, 16, NULL, 2}, /* 6to4 */
    {{0x3f, 0xff}, 20, "documentation address", EMBED_NONE},
    {{0x20}, 3, NULL, EMBED_NONE}, /* global unicast */
    {{0xfc}, 7, "unique local address (fc00::/7)", EMBED_NONE},
    {{0xfe, 0x80}, 10, "link-local address", EMBED_NONE},
    {{0xfe, 0xc0}, 10, "site-local address (fec0::/10, deprecated)", EMBED_NONE},
    {{0xff}, 8, "multicast address", EMBED_NONE},
    {{0}, 0, "reserved address (outside 2000::/3)", EMBED_NONE},
};

/* 1 when the first bits of a and net agree. */
static int prefix_match(const unsigned char *a, const unsigned char *net, unsigned bits)
{
    unsigned full = bits / 8, rest = bits % 8;

    if (memcmp(a, net, full) != 0)
        return 0;
    if (rest == 0)
        return 1;
    return ((a[full] ^ net[full]) & (unsigned char)(0xff << (8 - rest))) == 0;
}

static const char *v4_refusal(const unsigned char a[4])
{
    size_t i;

    for (i = 0; i < sizeof(V4) / sizeof(V4[0]); i++)
        if (prefix_match(a, V4[i].net, V4[i].bits))
            return V4[i].why;
    return NULL;
}

const char *cms_addr_refusal(int family, const unsigned char *addr)
{
    size_t i;

    if (family == AF_INET)
        return v4_refusal(addr);
    if (family != AF_INET6)
        return "not an IP address";
    for (i = 0; i < sizeof(V6) / sizeof(V6[0]); i++) {
        if (!prefix_match(addr, V6[i].net, V6[i].bits))
            continue;
        if (V6[i].embed != EMBED_NONE)
            return v4_refusal(addr + V6[i].embed);
        return V6[i].why;
    }
    return "reserved address"; /* not reached: the last row matches everything */
}
