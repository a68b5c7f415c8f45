/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The network's nftables table, as nft syntax run through libnftables in
 * one batch (see nft.h for why a table per network). */

#include "nft.h"

#include <errno.h>
#include <nftables/libnftables.h>
#include <pthread.h>
#include <sys/stat.h>

#include "macro.h"
#include "strbuf.h"
#include "string-table.h"
#include "vnet-private.h"

#define TABLE_PREFIX "kvmnet-"

static const char *const kn_nft_mode_table[_KN_NFT_MODE_MAX] = {
        [KN_NFT_ISOLATED] = "isolated",
        [KN_NFT_NAT] = "nat",
        [KN_NFT_ROUTE] = "route",
        [KN_NFT_OPEN] = "open",
};
DEFINE_STRING_TABLE_LOOKUP(kn_nft_mode, kn_nft_mode)

/* nft (1.0.6) takes table names only as bare identifiers, which have no
 * '+': it becomes '/', which network names never hold. */
char *kn_nft_table_name(const char *network) {
        char *t = kn_xasprintf(TABLE_PREFIX "%s", network);
        for (char *p = t; *p; p++)
                if (*p == '+')
                        *p = '/';
        return t;
}

typedef struct subnet {
        kn_vnet_addr net;
        unsigned prefix;
        char text[INET6_ADDRSTRLEN + 8];
} subnet;

static const char *fam(const subnet *s) {
        return s->net.family == AF_INET ? "ip" : "ip6";
}

/* The forward rules of one subnet: out from it, and back in (only replies
 * when it is NATed). */
static void put_forward(kn_strbuf *b, const kn_nft_params *p, const subnet *s) {
        bool nat = p->mode == KN_NFT_NAT && s->net.family == AF_INET;
        _cleanup_free_ char *out = p->dev ? kn_xasprintf(" oifname \"%s\"", p->dev) : NULL;
        _cleanup_free_ char *in = p->dev ? kn_xasprintf(" iifname \"%s\"", p->dev) : NULL;
        kn_strbuf_printf(b, "\t\tiifname \"%s\"%s %s saddr %s accept\n", p->bridge, out ? out : "",
                         fam(s), s->text);
        kn_strbuf_printf(b, "\t\toifname \"%s\"%s %s daddr %s%s accept\n", p->bridge, in ? in : "",
                         fam(s), s->text, nat ? " ct state established,related" : "");
}

static void put_masquerade(kn_strbuf *b, const kn_nft_params *p, const subnet *s) {
        _cleanup_free_ char *out = p->dev ? kn_xasprintf("oifname \"%s\"", p->dev)
                                          : kn_xasprintf("oifname != \"%s\"", p->bridge);
        if (p->port_start)
                kn_strbuf_printf(b,
                                 "\t\t%s ip saddr %s ip daddr != %s meta l4proto { tcp, udp } "
                                 "masquerade to :%u-%u\n",
                                 out, s->text, s->text, p->port_start, p->port_end);
        kn_strbuf_printf(b, "\t\t%s ip saddr %s ip daddr != %s masquerade\n", out, s->text,
                         s->text);
}

static int check(const kn_nft_params *p, subnet **ret, kn_error *err) {
        int r = kn_object_name_validate(p->network, "network", err);
        if (r < 0)
                return r;
        if ((int) p->mode < 0 || p->mode >= _KN_NFT_MODE_MAX)
                return kn_error_set(err, EINVAL, "network %s: forward mode %d is not valid",
                                    p->network, (int) p->mode);
        r = kn_ifname_validate(p->bridge, "bridge", err);
        if (r == 0 && p->dev)
                r = kn_ifname_validate(p->dev, "forward device", err);
        if (r < 0) {
                kn_error_prefix(err, "network %s", p->network);
                return r;
        }
        if (p->dev && streq(p->dev, p->bridge))
                return kn_error_set(err, EINVAL, "network %s: forward dev '%s' is its own bridge",
                                    p->network, p->dev);
        if (p->port_start > p->port_end || p->port_end > 65535 || (p->port_end && !p->port_start))
                return kn_error_set(err, EINVAL,
                                    "network %s: NAT port range %u-%u is not valid (1 <= start "
                                    "<= end <= 65535)",
                                    p->network, p->port_start, p->port_end);
        subnet *s = kn_xcalloc(p->n_subnets ? p->n_subnets : 1, sizeof *s);
        for (size_t k = 0; k < p->n_subnets; k++) {
                r = kn_vnet_subnet_parse("subnet", p->subnets[k].address, p->subnets[k].prefix,
                                         &s[k].net, err);
                if (r < 0) {
                        free(s);
                        kn_error_prefix(err, "network %s", p->network);
                        return r;
                }
                s[k].prefix = p->subnets[k].prefix;
                char a[INET6_ADDRSTRLEN];
                kn_vnet_addr_format(&s[k].net, a, sizeof a);
                snprintf(s[k].text, sizeof s[k].text, "%s/%u", a, s[k].prefix);
        }
        *ret = s;
        return 0;
}

int kn_nft_ruleset(const kn_nft_params *p, char **ret, kn_error *err) {
        _cleanup_free_ subnet *s = NULL;
        int r = check(p, &s, err);
        if (r < 0)
                return r;
        *ret = NULL;
        if (p->mode == KN_NFT_OPEN)
                return 0;

        _cleanup_strbuf_ kn_strbuf b = {0};
        _cleanup_free_ char *table = kn_nft_table_name(p->network);
        bool v6 = false, masq = false;
        for (size_t k = 0; k < p->n_subnets; k++) {
                v6 |= s[k].net.family == AF_INET6;
                masq |= p->mode == KN_NFT_NAT && s[k].net.family == AF_INET;
        }
        /* add + delete first: the batch replaces a leftover table and does
         * not fail when there is none. */
        kn_strbuf_printf(&b, "add table inet %s\ndelete table inet %s\n", table, table);
        kn_strbuf_printf(&b, "table inet %s {\n", table);

        /* Guests' DHCP and DNS to the host (DHCPv6 and ICMPv6 for RA/ND). */
        kn_strbuf_puts(&b, "\tchain input {\n"
                           "\t\ttype filter hook input priority filter; policy accept;\n");
        kn_strbuf_printf(&b, "\t\tiifname \"%s\" udp dport { 53, 67 } accept\n", p->bridge);
        kn_strbuf_printf(&b, "\t\tiifname \"%s\" tcp dport 53 accept\n", p->bridge);
        if (v6)
                kn_strbuf_printf(&b, "\t\tiifname \"%s\" udp dport 547 accept\n", p->bridge);
        kn_strbuf_puts(&b, "\t}\n");

        /* Guest to guest through the bridge, the subnets out and back, and
         * nothing else in or out of the bridge. */
        kn_strbuf_puts(&b, "\tchain forward {\n"
                           "\t\ttype filter hook forward priority filter; policy accept;\n");
        kn_strbuf_printf(&b, "\t\tiifname \"%s\" oifname \"%s\" accept\n", p->bridge, p->bridge);
        if (p->mode != KN_NFT_ISOLATED)
                for (size_t k = 0; k < p->n_subnets; k++)
                        put_forward(&b, p, &s[k]);
        kn_strbuf_printf(&b, "\t\tiifname \"%s\" reject\n", p->bridge);
        kn_strbuf_printf(&b, "\t\toifname \"%s\" reject\n", p->bridge);
        kn_strbuf_puts(&b, "\t}\n");

        if (masq) {
                kn_strbuf_puts(&b, "\tchain postrouting {\n"
                                   "\t\ttype nat hook postrouting priority srcnat; policy "
                                   "accept;\n");
                for (size_t k = 0; k < p->n_subnets; k++)
                        if (s[k].net.family == AF_INET)
                                put_masquerade(&b, p, &s[k]);
                kn_strbuf_puts(&b, "\t}\n");
        }
        kn_strbuf_puts(&b, "}\n");
        *ret = kn_strbuf_steal(&b);
        return 0;
}

typedef struct nft_call {
        const char *cmd;
        char *output; /* what the command printed */
        char *error;  /* libnftables' message, trimmed */
} nft_call;

static char *trimmed(const char *s) {
        if (!s)
                return kn_xstrdup("");
        while (*s == '\n' || *s == ' ')
                s++;
        size_t n = strlen(s);
        while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
                n--;
        return kn_xstrndup(s, n);
}

/* One libnftables context per namespace, kept for the process's life:
 * freeing a context closes its netlink socket, which costs the kernel
 * 5-16 ms, on every start and destroy.  The context is made inside the
 * namespace (its socket stays there) and found again by the namespace's
 * inode, which cannot be reused while the socket holds the namespace.  A
 * few slots: a daemon serves one namespace; tests make many, the oldest
 * context goes. */
#define NFT_CTX_SLOTS 8

static struct {
        pthread_mutex_t lock;
        struct ctx_slot {
                dev_t dev;
                ino_t ino;
                struct nft_ctx *ctx;
        } slot[NFT_CTX_SLOTS];
        size_t next;
} ctx_cache = {.lock = PTHREAD_MUTEX_INITIALIZER};

static struct nft_ctx *ctx_get(int *r) {
        struct stat st;
        if (stat("/proc/thread-self/ns/net", &st) < 0) {
                *r = -errno;
                return NULL;
        }
        for (size_t k = 0; k < NFT_CTX_SLOTS; k++)
                if (ctx_cache.slot[k].ctx && ctx_cache.slot[k].dev == st.st_dev &&
                    ctx_cache.slot[k].ino == st.st_ino)
                        return ctx_cache.slot[k].ctx;
        struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
        if (!ctx) {
                *r = -ENOMEM;
                return NULL;
        }
        nft_ctx_buffer_output(ctx);
        nft_ctx_buffer_error(ctx);
        struct ctx_slot *s = &ctx_cache.slot[ctx_cache.next];
        ctx_cache.next = (ctx_cache.next + 1) % NFT_CTX_SLOTS;
        if (s->ctx)
                nft_ctx_free(s->ctx);
        *s = (struct ctx_slot){.dev = st.st_dev, .ino = st.st_ino, .ctx = ctx};
        return ctx;
}

/* Runs inside the namespace: libnftables opens its netlink socket in the
 * context, and a socket stays in the namespace it was made in. */
static int run_in_ns(void *data) {
        nft_call *c = data;
        int r = 0;
        pthread_mutex_lock(&ctx_cache.lock);
        struct nft_ctx *ctx = ctx_get(&r);
        if (ctx) {
                r = nft_run_cmd_from_buffer(ctx, c->cmd) == 0 ? 0 : -EIO;
                c->output = kn_xstrdup(nft_ctx_get_output_buffer(ctx) ?: "");
                c->error = trimmed(nft_ctx_get_error_buffer(ctx));
        }
        pthread_mutex_unlock(&ctx_cache.lock);
        return r;
}

static int run(kn_netns *ns, nft_call *c, kn_error *err) {
        return kn_netns_run(ns, run_in_ns, c, err);
}

static void call_done(nft_call *c) {
        free(c->output);
        free(c->error);
}

int kn_nft_apply(kn_netns *ns, const kn_nft_params *p, kn_error *err) {
        _cleanup_free_ char *text = NULL;
        int r = kn_nft_ruleset(p, &text, err);
        if (r < 0 || !text)
                return r;
        nft_call c = {.cmd = text};
        r = run(ns, &c, err);
        if (r == -EIO)
                kn_error_set(err, EIO, "network %s: nftables refused its table: %s", p->network,
                             c.error);
        call_done(&c);
        return r;
}

int kn_nft_delete(kn_netns *ns, const char *network, kn_error *err) {
        int r = kn_object_name_validate(network, "network", err);
        if (r < 0)
                return r;
        _cleanup_free_ char *table = kn_nft_table_name(network);
        /* The add makes the delete succeed when the table is gone already;
         * both are one transaction. */
        _cleanup_free_ char *cmd =
                kn_xasprintf("add table inet %s\ndelete table inet %s\n", table, table);
        nft_call c = {.cmd = cmd};
        r = run(ns, &c, err);
        if (r == -EIO)
                kn_error_set(err, EIO, "network %s: cannot delete nftables table %s: %s", network,
                             table, c.error);
        call_done(&c);
        return r;
}

int kn_nft_exists(kn_netns *ns, const char *network, kn_error *err) {
        int r = kn_object_name_validate(network, "network", err);
        if (r < 0)
                return r;
        nft_call c = {.cmd = "list tables inet"};
        r = run(ns, &c, err);
        if (r == -EIO) {
                kn_error_set(err, EIO, "network %s: cannot list nftables tables: %s", network,
                             c.error);
                call_done(&c);
                return r;
        }
        _cleanup_free_ char *table = kn_nft_table_name(network);
        _cleanup_free_ char *want = kn_xasprintf("table inet %s", table);
        int found = 0;
        for (char *line = c.output; r == 0 && line && *line;) {
                char *nl = strchr(line, '\n');
                size_t n = nl ? (size_t) (nl - line) : strlen(line);
                if (n == strlen(want) && strncmp(line, want, n) == 0)
                        found = 1;
                line = nl ? nl + 1 : NULL;
        }
        call_done(&c);
        return r < 0 ? r : found;
}
